"""Image output helpers: float images in [-1, 1] to uint8, grids, atomic PNG writes."""

from __future__ import annotations

import math

import numpy as np

from isf_jax.files import atomic_open


def to_uint8(images) -> np.ndarray:
  """[..., H, W, C] floats in [-1, 1] -> uint8, as NVlabs generate.py (x * 127.5 + 128)."""
  return np.clip(np.asarray(images, np.float32) * 127.5 + 128, 0, 255).astype(np.uint8)


def from_uint8(images) -> np.ndarray:
  """uint8 -> float32 in [-1, 1]: the centre of the interval that `to_uint8` maps to each
  value (it truncates), so a round trip errs by at most 0.5 / 127.5."""
  return (np.asarray(images, np.float32) - 127.5) / 127.5


def make_grid(
  images: np.ndarray, columns: int | None = None, pad: int = 2, min_size: int = 64
) -> np.ndarray:
  """[N, H, W, C] uint8 -> one grid image; tiles smaller than `min_size` are enlarged by
  pixel repetition so small demo images stay visible."""
  factor = max(1, -(-min_size // images.shape[1]))
  images = images.repeat(factor, axis=1).repeat(factor, axis=2)
  n, h, w, c = images.shape
  columns = columns or math.ceil(math.sqrt(n))
  rows = math.ceil(n / columns)
  grid = np.full((rows * (h + pad) - pad, columns * (w + pad) - pad, c), 255, np.uint8)
  for i, image in enumerate(images):
    r, col = divmod(i, columns)
    grid[r * (h + pad) : r * (h + pad) + h, col * (w + pad) : col * (w + pad) + w] = image
  return grid


def save_png(path, image: np.ndarray) -> None:
  """Write a uint8 [H, W, C] image to `path` through a temporary file and a rename."""
  from PIL import Image

  with atomic_open(path, suffix=".png") as f:
    Image.fromarray(image.squeeze(-1) if image.shape[-1] == 1 else image).save(f, format="PNG")
