"""Image resampling as the reference metric pipelines do it, on NHWC float arrays.

* `resize_bilinear_torch`: `F.interpolate(mode="bilinear", align_corners=False)` without
  antialiasing (pytorch-fid's in-network resize to 299). Source coordinates below 0 are
  clamped to 0, so downsampling simply skips pixels.
* `resize_bilinear_align_corners`: `F.interpolate(mode="bilinear", align_corners=True)`: the
  corner pixels of input and output coincide (e4e's feature-pyramid upsampling).
* `resize_bilinear_pil`: PIL's `Image.resize(..., BILINEAR)` (also torchvision's
  `transforms.Resize` on PIL images): a triangle filter widened by the downscale factor,
  i.e. antialiased. PIL resamples 8-bit images and rounds the result to integers; this
  works on floats and does not round.
* `resize_bicubic_pil`: PIL's `Image.resize(..., BICUBIC)` (its default filter since Pillow 7):
  Keys cubic (a = -0.5) widened by the downscale factor; no rounding.
* `box_downsample`: the mean of each factor x factor block (StyleGAN's metrics).
* `adaptive_avg_pool`: `nn.AdaptiveAvgPool2d`: output cell i averages input rows
  floor(i * H / h) .. ceil((i + 1) * H / h) - 1.

Each is a linear map along each axis; the torch ones are applied as small [out, in] matrices.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np


def _linear_matrix(src: np.ndarray, size_in: int) -> np.ndarray:  # [out, in]
  """Linear interpolation at source coordinates `src` [out] (>= 0) of `size_in` samples."""
  lo = np.minimum(np.floor(src).astype(np.int64), size_in - 1)
  hi = np.minimum(lo + 1, size_in - 1)
  frac = src - lo
  matrix = np.zeros((len(src), size_in), np.float64)
  np.add.at(matrix, (np.arange(len(src)), lo), 1.0 - frac)
  np.add.at(matrix, (np.arange(len(src)), hi), frac)
  return matrix.astype(np.float32)


def _torch_bilinear_matrix(size_in: int, size_out: int) -> np.ndarray:  # [out, in]
  scale = size_in / size_out
  return _linear_matrix(np.maximum((np.arange(size_out) + 0.5) * scale - 0.5, 0.0), size_in)


def _align_corners_bilinear_matrix(size_in: int, size_out: int) -> np.ndarray:  # [out, in]
  scale = (size_in - 1) / (size_out - 1) if size_out > 1 else 0.0
  return _linear_matrix(np.arange(size_out) * scale, size_in)


def _adaptive_pool_matrix(size_in: int, size_out: int) -> np.ndarray:  # [out, in]
  matrix = np.zeros((size_out, size_in), np.float32)
  for i in range(size_out):
    start = (i * size_in) // size_out
    end = math.ceil((i + 1) * size_in / size_out)
    matrix[i, start:end] = 1.0 / (end - start)
  return matrix


def _apply_separable(images, rows: np.ndarray, cols: np.ndarray):
  # [N, H, W, C] -> [N, h, w, C]
  out = jnp.einsum("hH,nHWc->nhWc", rows, images, precision=jax.lax.Precision.HIGHEST)
  return jnp.einsum("wW,nhWc->nhwc", cols, out, precision=jax.lax.Precision.HIGHEST)


def resize_bilinear_torch(images, size: tuple[int, int]):
  """[N, H, W, C] -> [N, *size, C] as torch bilinear, align_corners=False, no antialias."""
  _, height, width, _ = images.shape
  rows = _torch_bilinear_matrix(height, size[0])
  cols = _torch_bilinear_matrix(width, size[1])
  return _apply_separable(images, rows, cols)


def resize_bilinear_align_corners(images, size: tuple[int, int]):
  """[N, H, W, C] -> [N, *size, C] as torch bilinear with align_corners=True."""
  _, height, width, _ = images.shape
  rows = _align_corners_bilinear_matrix(height, size[0])
  cols = _align_corners_bilinear_matrix(width, size[1])
  return _apply_separable(images, rows, cols)


def resize_bilinear_pil(images, size: tuple[int, int]):
  """[N, H, W, C] -> [N, *size, C] as PIL's antialiased BILINEAR resize (without rounding)."""
  n, _, _, c = images.shape
  if tuple(images.shape[1:3]) == tuple(size):
    return images
  return jax.image.resize(images, (n, *size, c), method="linear", antialias=True)


def resize_bicubic_pil(images, size: tuple[int, int]):
  """[N, H, W, C] -> [N, *size, C] as PIL's antialiased BICUBIC resize (without rounding)."""
  n, _, _, c = images.shape
  if tuple(images.shape[1:3]) == tuple(size):
    return images
  return jax.image.resize(images, (n, *size, c), method="cubic", antialias=True)


def box_downsample(images, factor: int):
  """[N, H, W, C] -> [N, H / factor, W / factor, C]: the mean of each factor x factor block."""
  n, height, width, c = images.shape
  if height % factor or width % factor:
    raise ValueError(f"image size {height}x{width} is not a multiple of {factor}")
  blocks = images.reshape(n, height // factor, factor, width // factor, factor, c)
  return blocks.mean(axis=(2, 4))


def adaptive_avg_pool(images, size: tuple[int, int]):
  """[N, H, W, C] -> [N, *size, C] as torch `AdaptiveAvgPool2d(size)`."""
  _, height, width, _ = images.shape
  rows = _adaptive_pool_matrix(height, size[0])
  cols = _adaptive_pool_matrix(width, size[1])
  return _apply_separable(images, rows, cols)
