"""Pure array ops of the StyleGAN v1 synthesis network (NHWC, HWIO kernels)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from isf_jax.stylegan2.ops import conv2d

# The [1, 2, 1] binomial blur, outer product normalised to sum 1.
_BLUR_1D = np.array([1.0, 2.0, 1.0], dtype=np.float32)
BLUR_FILTER = np.outer(_BLUR_1D, _BLUR_1D) / np.sum(_BLUR_1D) ** 2  # [3, 3]

LRELU_SLOPE = 0.2  # v1 has no gain after the activation; the sqrt(2) is in the weight scale
NORM_EPS = 1e-8


def blur(x, precision=None):
  """Depthwise 3x3 [1, 2, 1] blur with zero padding 1: [N, H, W, C] -> [N, H, W, C]."""
  channels = x.shape[-1]
  kernel = jnp.tile(jnp.asarray(BLUR_FILTER, x.dtype)[:, :, None, None], (1, 1, 1, channels))
  return conv2d(x, kernel, padding=((1, 1), (1, 1)), groups=channels, precision=precision)


def upsample_nearest_2x(x):
  """[N, H, W, C] -> [N, 2H, 2W, C], each sample repeated 2x2."""
  return jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)


def fused_upsample_kernel(weight):
  """The 4x4 transposed-conv kernel of NVlabs' fused upscale2d_conv2d from a 3x3 one.

  The 3x3 kernel, zero-padded to 5x5, is summed over its four 4x4 corners ([k, k, I, O]).
  """
  w = jnp.pad(weight, ((1, 1), (1, 1), (0, 0), (0, 0)))
  return w[1:, 1:] + w[:-1, 1:] + w[1:, :-1] + w[:-1, :-1]  # [4, 4, I, O]


def conv_transpose_2x(x, kernel, precision=None):
  """torch conv_transpose2d(x, kernel as [I, O, 4, 4], stride 2, padding 1): H -> 2H.

  A transposed conv is a correlation of the zero-inserted input with the spatially
  flipped kernel, padded by k - 1 - padding = 2.
  """
  return conv2d(
    x, kernel[::-1, ::-1], padding=((2, 2), (2, 2)), lhs_dilation=(2, 2), precision=precision
  )


def instance_norm(x, eps=NORM_EPS):
  """Per sample and channel over H, W: (x - mean) / sqrt(mean((x - mean)^2) + eps)."""
  x = x - jnp.mean(x, axis=(1, 2), keepdims=True)
  return x / jnp.sqrt(jnp.mean(jnp.square(x), axis=(1, 2), keepdims=True) + eps)


def pixel_norm(x, eps=NORM_EPS):
  """Latent normalisation: x / sqrt(mean(x^2) + eps) over the last axis."""
  return x / jnp.sqrt(jnp.mean(jnp.square(x), axis=-1, keepdims=True) + eps)


def leaky_relu(x):
  return jax.nn.leaky_relu(x, LRELU_SLOPE)
