"""Image output helpers: float images in [-1, 1] to uint8, atomic PNG writes (labelled grids:
`isf_jax.figures`)."""

from __future__ import annotations

import numpy as np

from isf_jax.files import atomic_open


def to_uint8(images) -> np.ndarray:
  """[..., H, W, C] floats in [-1, 1] -> uint8, as NVlabs generate.py (x * 127.5 + 128)."""
  return np.clip(np.asarray(images, np.float32) * 127.5 + 128, 0, 255).astype(np.uint8)


def from_uint8(images) -> np.ndarray:
  """uint8 -> float32 in [-1, 1]: the centre of the interval that `to_uint8` maps to each
  value (it truncates), so a round trip errs by at most 0.5 / 127.5."""
  return (np.asarray(images, np.float32) - 127.5) / 127.5


def save_png(path, image: np.ndarray) -> None:
  """Write a uint8 [H, W, C] image to `path` through a temporary file and a rename."""
  from PIL import Image

  with atomic_open(path, suffix=".png") as f:
    Image.fromarray(image.squeeze(-1) if image.shape[-1] == 1 else image).save(f, format="PNG")
