"""The demo world's attributes: exact image statistics, and the classifier that reads them."""

from __future__ import annotations

import numpy as np

DEMO_ATTRIBUTES = ("bright", "warm", "top_heavy", "contrasty")
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def attribute_scores(images):
  """Exact, differentiable-free attribute scores of images [N, H, W, 3] in [-1, 1] -> [N, 4].

  bright: mean luminance; warm: mean red minus blue; top_heavy: luminance of the top half
  minus the bottom half; contrasty: standard deviation of luminance.
  """
  images = np.asarray(images, np.float32)
  luma = images @ _LUMA  # [N, H, W]
  half = luma.shape[1] // 2
  return np.stack(
    [
      luma.mean(axis=(1, 2)),
      (images[..., 0] - images[..., 2]).mean(axis=(1, 2)),
      luma[:, :half].mean(axis=(1, 2)) - luma[:, half:].mean(axis=(1, 2)),
      luma.std(axis=(1, 2)),
    ],
    axis=1,
  )


class ExactClassifier:
  """Reads the demo attributes exactly: label = score > the training set's median."""

  def __init__(self, thresholds):
    self.thresholds = np.asarray(thresholds, np.float32)  # [4]

  def __call__(self, images) -> np.ndarray:
    return (attribute_scores(images) > self.thresholds).astype(np.int64)  # [N, 4]
