"""Seeds and integer ranges as people type them, and the latents of seeds."""

from __future__ import annotations

import numpy as np


def parse_int_ranges(text: str, what: str, example: str) -> list[int]:
  """'0-3,7,10-11' -> [0, 1, 2, 3, 7, 10, 11]: inclusive ranges, as on a command line."""
  values = []
  for part in text.split(","):
    lo, sep, hi = part.strip().partition("-")
    if not lo.isdigit() or (sep and not hi.isdigit()):
      raise ValueError(f"bad {what} range {part!r}: use e.g. {example}")
    values += list(range(int(lo), int(hi) + 1)) if sep else [int(lo)]
  return values


def parse_seeds(text: str) -> list[int]:
  """'0-3,7,10-11' -> [0, 1, 2, 3, 7, 10, 11]."""
  seeds = parse_int_ranges(text, "seed", "0-15 or 1,5,9")
  if not seeds:
    raise ValueError("no seeds given")
  return seeds


def seed_latents(seeds, z_dim: int) -> np.ndarray:
  """z [N, z_dim] of `numpy.random.RandomState(seed).randn(z_dim)`, as NVlabs' generate.py, so
  the same seeds give the same images there and here."""
  return np.stack([np.random.RandomState(s).randn(z_dim) for s in seeds]).astype(np.float32)
