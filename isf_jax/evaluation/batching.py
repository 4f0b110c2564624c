"""Fixed-shape batches: every jitted network is compiled once per run."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np


def pad(x, size: int):
  """x [m, ...] -> ([size, ...] repeating the last row, m): one compiled shape per run."""
  x = np.asarray(x)
  m = len(x)
  if m < size:
    x = np.concatenate([x, np.repeat(x[-1:], size - m, axis=0)])
  return jnp.asarray(x), m


def batches(x, size: int):
  """(batch [size, ...], rows that are real) over x [N, ...], the last one padded."""
  for start in range(0, len(x), size):
    yield pad(x[start : start + size], size)
