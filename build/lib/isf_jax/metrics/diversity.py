"""LPIPS diversity: the mean distance between the samples made for one input.

The paper (SI A-A): 10 translations per input and direction, "the average LPIPS distance
between the 10 generated images". Only distinct pairs i < j count; the official
`eval/cal_lpips.py` also counts the zero self-pairs i == j for ISF outputs, which biases the
score down by a factor (S - 1) / (S + 1) (docs/evaluation.md).
"""

from __future__ import annotations

import numpy as np


def sample_pairs(num_samples: int) -> tuple[np.ndarray, np.ndarray]:
  """Indices (i, j) of every pair i < j of `num_samples` samples: S (S - 1) / 2 each."""
  if num_samples < 2:
    raise ValueError(f"diversity needs at least 2 samples per input, got {num_samples}")
  return np.triu_indices(num_samples, k=1)


def pairwise_diversity(distance_fn, samples) -> np.ndarray:
  """Mean distance over pairs i < j of the samples of each input.

  distance_fn: (a [M, ...], b [M, ...]) -> [M]; samples: [S, N, ...] -> [N].
  """
  first, second = sample_pairs(samples.shape[0])
  n = samples.shape[1]
  a = samples[first].reshape(-1, *samples.shape[2:])  # [P * N, ...]
  b = samples[second].reshape(-1, *samples.shape[2:])
  distances = np.asarray(distance_fn(a, b), np.float64).reshape(len(first), n)  # [P, N]
  return distances.mean(axis=0)
