"""Frozen-network checkpoints: a directory with orbax `variables/` and a `config.json`.

Written to a temporary sibling and renamed, so an interrupted write leaves nothing at the
destination.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import jax
import numpy as np

CONFIG_FILE = "config.json"
VARIABLES_DIR = "variables"


def check_writable(path, overwrite: bool) -> None:
  path = Path(path)
  if path.exists() and not overwrite:
    raise FileExistsError(f"{path} exists (pass --overwrite to replace it)")


def is_checkpoint(path) -> bool:
  return (Path(path) / CONFIG_FILE).is_file()


def save_directory(path, variables: dict, config_json: str, overwrite: bool = False) -> None:
  import orbax.checkpoint as ocp

  path = Path(path).absolute()
  path.parent.mkdir(parents=True, exist_ok=True)
  check_writable(path, overwrite)
  tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
  try:
    with ocp.StandardCheckpointer() as ckptr:
      ckptr.save(tmp / VARIABLES_DIR, jax.tree.map(np.asarray, variables))
    (tmp / CONFIG_FILE).write_text(config_json)
    if path.exists():
      shutil.rmtree(path) if path.is_dir() else path.unlink()
    os.replace(tmp, path)
  except BaseException:
    shutil.rmtree(tmp, ignore_errors=True)
    raise


def load_directory(path) -> tuple[str, dict]:
  """(config JSON text, variables as numpy arrays)."""
  import orbax.checkpoint as ocp

  path = Path(path).absolute()
  with ocp.StandardCheckpointer() as ckptr:
    variables = ckptr.restore(path / VARIABLES_DIR)
  return (path / CONFIG_FILE).read_text(), jax.tree.map(np.asarray, variables)
