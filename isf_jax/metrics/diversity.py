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

  distance_fn: (a [N, ...], b [N, ...]) -> [N], called once per pair (one batch shape);
  samples: S arrays [N, ...] (a sequence, or an array [S, N, ...]) -> [N].
  """
  first, second = sample_pairs(len(samples))
  distances = [distance_fn(samples[i], samples[j]) for i, j in zip(first, second, strict=True)]
  return np.mean([np.asarray(d, np.float64) for d in distances], axis=0)  # [P, N] -> [N]
