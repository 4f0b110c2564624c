"""Smoothness of edits: interpolation path lengths, PIR (paper eq. 13) and StyleGAN's PPL.

Path of an edit: frames G(lerp(w, w', alpha_k)), alpha_k = k / (F - 1), k = 0..F-1 (F = 20),
from the source code w to its translation w' (paper IV-B).
- step distances d_k = LPIPS(frame_k, frame_{k+1}), k = 0..F-2, and the shortest path
  D = LPIPS(frame_0, frame_{F-1});
- PIR = (max_k d_k - min_k d_k) / (D + 1e-6), as `coefficient_variation_maxmin` in the official
  `metrics/coeff_var.py` (same formula; the official frames stop at alpha 0.95, see
  docs/evaluation.md);
- path length = mean_k d_k, the official `cal_pir.py` "PPL" (LPIPS-Alex, unscaled).

StyleGAN PPL (paper eq. 12, Karras et al. 2019, `metrics/perceptual_path_length.py`): for t ~
U(0, 1), d = LPIPS-VGG(G(lerp(t)), G(lerp(t + eps))) / eps^2 with eps = 1e-4, on the face
crop, box-downsampled to 256 px above that size; the mean of the distances between the 1st
('lower') and the 99th ('higher') percentile. Here lerp runs along the same edit path (W+).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

PIR_EPS = 1e-6
PPL_EPS = 1e-4
PPL_SIZE = 256


def interpolation_alphas(num_frames: int) -> np.ndarray:
  """Equally spaced alphas from 0 (the source) to 1 (the translation), both included."""
  if num_frames < 3:
    raise ValueError(f"an interpolation needs at least 3 frames, got {num_frames}")
  return np.linspace(0.0, 1.0, num_frames)


def lerp(w0, w1, t):
  """w0 + t (w1 - w0); t is a scalar or one value per code [N]."""
  t = jnp.asarray(t, w0.dtype)
  t = t.reshape(t.shape + (1,) * (w0.ndim - t.ndim))
  return w0 + t * (w1 - w0)


def path_distances(distance_fn, frames) -> tuple[np.ndarray, np.ndarray]:
  """(step distances [N, F - 1], shortest path [N]) of F frames [N, ...] (a sequence, or an
  array [F, N, ...]); `distance_fn` sees one pair of frames at a time, so a jitted network
  is compiled for one batch shape."""
  steps = [distance_fn(a, b) for a, b in zip(frames[:-1], frames[1:], strict=True)]
  shortest = distance_fn(frames[0], frames[-1])
  steps = np.stack([np.asarray(d, np.float64) for d in steps], axis=1)
  return steps, np.asarray(shortest, np.float64)


def perceptual_interpolation_range(steps, shortest, eps: float = PIR_EPS) -> np.ndarray:
  """PIR per path: (max d_k - min d_k) / (D + eps). steps [N, F - 1], shortest [N] -> [N]."""
  steps = np.asarray(steps, np.float64)
  return (steps.max(axis=-1) - steps.min(axis=-1)) / (np.asarray(shortest, np.float64) + eps)


def path_length(steps) -> np.ndarray:
  """Mean step distance per path [N] (the official script's unscaled "PPL")."""
  return np.asarray(steps, np.float64).mean(axis=-1)


def face_crop(images):
  """StyleGAN's PPL crop of aligned faces: rows [3c, 7c), columns [2c, 6c), c = H // 8."""
  c = images.shape[1] // 8
  return images[:, 3 * c : 7 * c, 2 * c : 6 * c]


def downsample_to(images, size: int = PPL_SIZE):
  """Box-downsample [N, H, W, C] by the integer factor H // size when H > size (StyleGAN)."""
  n, h, w, ch = images.shape
  if h <= size:
    return images
  factor = h // size
  h, w = h // factor * factor, w // factor * factor
  images = images[:, :h, :w]
  return images.reshape(n, h // factor, factor, w // factor, factor, ch).mean(axis=(2, 4))


def ppl_images(images, crop: bool = True):
  """The images PPL measures: face crop (optional), then at most 256 px."""
  return downsample_to(face_crop(images) if crop else images)


def ppl_distances(distance_fn, images_t, images_t_eps, eps: float = PPL_EPS) -> np.ndarray:
  """LPIPS(G(t), G(t + eps)) / eps^2 per sample [N]; images already through `ppl_images`."""
  return np.asarray(distance_fn(images_t, images_t_eps), np.float64) / eps**2


def filtered_mean(distances, low: float = 1, high: float = 99) -> float:
  """Mean of the distances between the `low` ('lower') and `high` ('higher') percentiles."""
  distances = np.asarray(distances, np.float64).ravel()
  if distances.size == 0:
    raise ValueError("no distances to average")
  lo = np.percentile(distances, low, method="lower")
  hi = np.percentile(distances, high, method="higher")
  return float(distances[(lo <= distances) & (distances <= hi)].mean())
