"""Attribute accuracy (mAcc): does an off-the-shelf classifier see the requested value?"""

from __future__ import annotations

import numpy as np


def logits_to_labels(logits, invert: bool = False, threshold: float = 0.5) -> np.ndarray:
  """Binary labels from classifier logits: sigmoid(logit) > threshold, flipped if `invert`
  (the official script reads 1 - [p > 0.5] for every attribute but age)."""
  probs = 1.0 / (1.0 + np.exp(-np.asarray(logits, np.float64)))
  return ((probs > threshold) != bool(invert)).astype(np.int64)


def hits(predicted, target) -> np.ndarray:
  """[N] booleans: the predicted label equals the requested one."""
  predicted = np.asarray(predicted)
  target = np.broadcast_to(np.asarray(target), predicted.shape)
  return predicted == target


def accuracy(predicted, target, mask=None) -> float:
  """Fraction of hits, over the codes in `mask` if given (NaN if the mask is empty)."""
  correct = hits(predicted, target)
  if mask is not None:
    correct = correct[np.asarray(mask, bool)]
  return float(correct.mean()) if correct.size else float("nan")
