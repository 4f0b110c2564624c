"""Resumable results: arrays saved atomically with the settings that made them.

A saved file is used again only when its settings (protocol, networks, checkpoints) equal
the current ones, so a rerun skips what is finished and recomputes what changed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from isf_jax.files import atomic_open


def save_npz(path: Path, arrays: dict, meta: dict) -> None:
  with atomic_open(path, suffix=".npz") as f:
    np.savez(f, meta=json.dumps(meta, sort_keys=True), **arrays)


def load_npz(path: Path, meta: dict) -> dict | None:
  """The saved arrays if they were made with the same `meta`, else None."""
  if not path.exists():
    return None
  with np.load(path) as f:
    if json.loads(str(f["meta"])) != json.loads(json.dumps(meta, sort_keys=True)):
      return None
    return {k: f[k] for k in f.files if k != "meta"}


class PartialResults:
  """Per-code arrays of each (method, attribute, direction) under `out_dir/partial/`."""

  def __init__(self, out_dir, meta: dict):
    self.out_dir = Path(out_dir)
    self.meta = meta

  def path(self, method: str, attribute: str, value: int) -> Path:
    return self.out_dir / "partial" / method / f"{attribute}_to{value}.npz"

  def load(self, method: str, attribute: str, value: int) -> dict | None:
    return load_npz(self.path(method, attribute, value), {**self.meta, "method": method})

  def save(self, method: str, attribute: str, value: int, arrays: dict) -> None:
    save_npz(self.path(method, attribute, value), arrays, {**self.meta, "method": method})
