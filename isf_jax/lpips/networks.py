"""LPIPS networks: an ImageNet trunk, unit-normalised features, learned 1x1 heads.

The computation is that of the `lpips` package 0.1.4: images NHWC in [-1, 1]; for version
0.1 the scaling layer (ImageNet normalisation expressed for [-1, 1] inputs); five ReLU
taps of the trunk; each tap divided by its per-pixel channel norm (eps 1e-10 after the
square root); squared differences weighted by a non-negative 1x1 head (no bias); spatial
mean; sum over taps. Dropout in the heads is inactive in the reference's eval mode and is
not modelled.

Variables: `params/trunk/conv{i}/{kernel [k, k, I, O], bias}` and `params/lin{t}` [C_t].
"""

from __future__ import annotations

import functools
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

NETS = ("vgg", "alex")
VERSIONS = ("0.1", "0.0")

# lpips ScalingLayer: (x - shift) / scale == ImageNet mean/std for x = 2u - 1.
SHIFT = np.array([-0.030, -0.088, -0.188], np.float32)
SCALE = np.array([0.458, 0.448, 0.450], np.float32)
NORM_EPS = 1e-10

# (out_channels, kernel, stride, padding) per conv (each followed by ReLU);
# "M" = max pool; "T*" = an LPIPS tap (the preceding ReLU's output).
_VGG16 = [
    (64, 3, 1, 1), (64, 3, 1, 1), "T*", "M",
    (128, 3, 1, 1), (128, 3, 1, 1), "T*", "M",
    (256, 3, 1, 1), (256, 3, 1, 1), (256, 3, 1, 1), "T*", "M",
    (512, 3, 1, 1), (512, 3, 1, 1), (512, 3, 1, 1), "T*", "M",
    (512, 3, 1, 1), (512, 3, 1, 1), (512, 3, 1, 1), "T*",
]  # fmt: skip
_ALEXNET = [
    (64, 11, 4, 2), "T*", "M",
    (192, 5, 1, 2), "T*", "M",
    (384, 3, 1, 1), "T*",
    (256, 3, 1, 1), "T*",
    (256, 3, 1, 1), "T*",
]  # fmt: skip
TAP_CHANNELS = {"vgg": (64, 128, 256, 512, 512), "alex": (64, 192, 384, 256, 256)}


class Trunk(nn.Module):
  """VGG16 or AlexNet `.features` up to the last tap; returns the five ReLU taps."""

  net: str
  dtype: Any = jnp.float32
  precision: Any = None

  @nn.compact
  def __call__(self, x):  # [N, H, W, 3] -> 5 x [N, H_t, W_t, C_t]
    pool = (2, 2) if self.net == "vgg" else (3, 2)
    taps, conv = [], 0
    for layer in _VGG16 if self.net == "vgg" else _ALEXNET:
      if layer == "M":
        x = nn.max_pool(x, (pool[0], pool[0]), strides=(pool[1], pool[1]), padding="VALID")
      elif layer == "T*":
        taps.append(x)
      else:
        features, k, stride, pad = layer
        x = nn.Conv(
          features,
          (k, k),
          strides=stride,
          padding=((pad, pad), (pad, pad)),
          dtype=self.dtype,
          precision=self.precision,
          name=f"conv{conv}",
        )(x)
        x = nn.relu(x)
        conv += 1
    return taps


RANGE_TOLERANCE = 1e-3


def check_inputs(x0, x1, check_range: bool = True):
  """Same NHWC RGB shapes; values in [-1, 1] (when concrete: traced values are skipped)."""
  if x0.shape != x1.shape or x0.ndim != 4 or x0.shape[-1] != 3:
    raise ValueError(
      f"LPIPS needs two [N, H, W, 3] batches of one shape, got {x0.shape} and {x1.shape}"
    )
  if not check_range:
    return
  for x in (x0, x1):
    if isinstance(x, jax.core.Tracer):
      continue
    lo, hi = float(jnp.min(x)), float(jnp.max(x))
    if lo < -1 - RANGE_TOLERANCE or hi > 1 + RANGE_TOLERANCE:
      raise ValueError(
        f"LPIPS expects images in [-1, 1], got values in [{lo:.3g}, {hi:.3g}]; map [0, 1] "
        "images with 2 * x - 1 (uint8: x / 127.5 - 1), or pass check_range=False"
      )


def normalize_channels(x):
  """x / (||x||_channels + 1e-10), per pixel."""
  return x / (jnp.sqrt(jnp.sum(jnp.square(x), axis=-1, keepdims=True)) + NORM_EPS)


def _resize_bilinear(x, size):
  """torch bilinear upsampling with align_corners=False (half-pixel centres)."""
  return jax.image.resize(x, (x.shape[0], *size, x.shape[-1]), method="bilinear", antialias=False)


class LPIPS(nn.Module):
  """LPIPS distance between two image batches.

  Attributes:
    net: "vgg" or "alex".
    version: "0.1" (default, with the scaling layer) or "0.0".
    use_lin: weight features with the learned heads (False: plain channel sum).
    check_range: refuse concrete inputs outside [-1, 1] (not checked under jit).
  """

  net: str = "alex"
  version: str = "0.1"
  use_lin: bool = True
  check_range: bool = True
  dtype: Any = jnp.float32
  precision: Any = None

  @nn.compact
  def __call__(
    self, x0, x1, spatial: bool = False, reduction: str = "none", per_layer: bool = False
  ):
    """Distances: [N], or [N, H, W] maps if `spatial`; `reduction="mean"` averages over N.

    x0, x1: [N, H, W, 3] in [-1, 1]. The batch mean is the form the official ISF-GAN code
    (StarGAN v2's LPIPS) uses as its loss. `per_layer` also returns each tap's term (a list
    of five, in trunk order, each shaped like the total; they sum to it), as `lpips`'s
    `retPerLayer`.
    """
    if self.net not in NETS or self.version not in VERSIONS:
      raise ValueError(f"net must be in {NETS} and version in {VERSIONS}")
    check_inputs(x0, x1, check_range=self.check_range)
    x = jnp.concatenate([x0, x1], axis=0).astype(jnp.float32)
    if self.version == "0.1":
      x = (x - SHIFT) / SCALE
    taps = Trunk(self.net, dtype=self.dtype, precision=self.precision, name="trunk")(x)
    if reduction not in ("none", "mean"):
      raise ValueError(f"reduction must be 'none' or 'mean', got {reduction!r}")
    n = x0.shape[0]
    terms = []
    for t, feats in enumerate(taps):
      feats = normalize_channels(feats.astype(jnp.float32))
      diff = jnp.square(feats[:n] - feats[n:])  # [N, H_t, W_t, C_t]
      if self.use_lin:
        weight = self.param(f"lin{t}", nn.initializers.ones, (feats.shape[-1],))
        dist = jnp.einsum("nhwc,c->nhw", diff, weight, precision=self.precision)
      else:
        dist = jnp.sum(diff, axis=-1)
      if spatial:
        terms.append(_resize_bilinear(dist[..., None], x0.shape[1:3])[..., 0])
      else:
        terms.append(jnp.mean(dist, axis=(1, 2)))
    total = functools.reduce(jnp.add, terms)
    if reduction == "mean":
      total, terms = jnp.mean(total, axis=0), [jnp.mean(term, axis=0) for term in terms]
    return (total, terms) if per_layer else total
