"""Pure array ops of the StyleGAN2 synthesis network (NHWC, HWIO kernels)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

# The [1, 3, 3, 1] binomial resampling filter, outer product normalised to sum 1.
_FIR_1D = np.array([1.0, 3.0, 3.0, 1.0], dtype=np.float32)
RESAMPLE_FILTER = np.outer(_FIR_1D, _FIR_1D) / np.sum(_FIR_1D) ** 2  # [4, 4]

LRELU_SLOPE = 0.2
LRELU_GAIN = math.sqrt(2.0)
DEMOD_EPS = 1e-8

_DIMENSION_NUMBERS = ("NHWC", "HWIO", "NHWC")


def conv2d(x, kernel, *, padding, lhs_dilation=(1, 1), groups=1, precision=None):
  """Cross-correlation, as torch.nn.functional.conv2d, in NHWC/HWIO."""
  return jax.lax.conv_general_dilated(
    x,
    kernel,
    window_strides=(1, 1),
    padding=padding,
    lhs_dilation=lhs_dilation,
    dimension_numbers=_DIMENSION_NUMBERS,
    feature_group_count=groups,
    precision=precision,
  )


def fir_filter(x, *, up: int, pad: tuple[int, int], gain: float, precision=None):
  """upfirdn2d with the resampling filter, down=1, equal padding on both axes.

  Zeros are inserted after every sample (up), the result padded by `pad` and convolved
  with the filter times `gain`. The separable filter runs as shifted sums of slices, not a
  depthwise conv: XLA:CPU's grouped convolutions are ~10x slower, their gradients more.
  `precision` is accepted for signature compatibility; the sums are exact float32.
  """
  del precision
  n, h, w, c = x.shape
  if up > 1:  # [N, H, W, C] -> [N, up H, up W, C] with zeros after every sample
    x = jnp.stack([x] + [jnp.zeros_like(x)] * (up - 1), axis=2).reshape(n, up * h, w, c)
    x = jnp.stack([x] + [jnp.zeros_like(x)] * (up - 1), axis=3).reshape(n, up * h, up * w, c)
  x = jnp.pad(x, ((0, 0), pad, pad, (0, 0)))
  taps = _FIR_1D / np.sum(_FIR_1D)
  k = len(taps)
  height, width = x.shape[1] - k + 1, x.shape[2] - k + 1
  # The filter is symmetric, so correlation and convolution agree.
  x = sum(float(t) * x[:, i : i + height] for i, t in enumerate(taps))
  x = sum(float(t) * x[:, :, i : i + width] for i, t in enumerate(taps))
  return x * jnp.asarray(gain, x.dtype)


def upsample_2x(x, precision=None):
  """Upsample an image by 2 with the resampling filter (the ToRGB skip path)."""
  return fir_filter(x, up=2, pad=(2, 1), gain=4.0, precision=precision)


# Transposed-conv phases per axis: the flipped-kernel taps each output parity reads, and the
# input padding that lines them up. Even outputs (H + 1 of them) combine x[t - 1] * tap 0 and
# x[t] * tap 2 (input padded by 1 on both sides, a 2-tap conv); odd outputs (H) are x[t] * tap 1.
_PHASE_TAPS = ((0, 2), (1,))
_PHASE_PADDING = ((1, 1), (0, 0))


def conv3x3_up(x, kernel, *, groups=1, precision=None):
  """3x3 conv at twice the resolution, exactly as the reference up-conv + blur.

  The references run a stride-2 transposed conv (2H+1 outputs) and blur with the filter
  times 4, padding 1. Here the transposed conv runs by phases, each with only its live taps:
  four convs with 2x2, 2x1, 1x2 and 1x1 kernels (a quarter of the multiply-adds of 3x3
  phase kernels, three quarters of whose taps would be zero), then the phases are
  interleaved. Same numbers as the zero-inserted conv, whose gradient XLA:CPU computes ~70x
  slower (asymmetric conv padding and even-sized kernels also leave its fast path).
  """
  n, h, w, _ = x.shape
  flipped = kernel[::-1, ::-1]
  phases = []  # [N, H+1, W+1, O] each, (row phase, column phase) in row-major order
  for row_phase in (0, 1):
    for col_phase in (0, 1):
      live = flipped[np.ix_(_PHASE_TAPS[row_phase], _PHASE_TAPS[col_phase])]
      padding = (_PHASE_PADDING[row_phase], _PHASE_PADDING[col_phase])
      y = conv2d(x, live, padding=padding, groups=groups, precision=precision)
      # Odd phases have H (W) outputs; a zero row (column) stands in for the missing last one.
      phases.append(jnp.pad(y, ((0, 0), (0, row_phase), (0, col_phase), (0, 0))))
  y = jnp.stack(phases, axis=3).reshape(n, h + 1, w + 1, 2, 2, -1)
  # [N, H+1, W+1, row phase, col phase, O] -> [N, 2H+2, 2W+2, O]; the last row and column are
  # the zeros above, so padding by (1, 0) gives the blur the reference's (1, 1)-padded input.
  y = jnp.transpose(y, (0, 1, 3, 2, 4, 5)).reshape(n, 2 * h + 2, 2 * w + 2, -1)
  return fir_filter(y, up=1, pad=(1, 0), gain=4.0, precision=precision)


def modulated_conv2d(
  x,
  weight,
  styles,
  *,
  demodulate: bool,
  up: bool = False,
  fused: bool = False,
  noise=None,
  precision=None,
):
  """StyleGAN2 modulated (and optionally demodulated) convolution.

  Args:
    x: input activations, [N, H, W, I].
    weight: shared kernel, [k, k, I, O].
    styles: per-sample input-channel scales, [N, I].
    demodulate: normalise each output channel's effective kernel to unit norm.
    up: upsample by 2 (transposed conv followed by the resampling filter).
    fused: one grouped conv with per-sample kernels; otherwise scale activations and run
      one shared conv (the same numbers; the shared form is faster on CPU).
    noise: added after the conv, broadcastable to the output [N, H', W', O].

  Returns:
    [N, H', W', O] with H' = 2H when `up`, else H.
  """
  n, _, _, in_channels = x.shape
  k = weight.shape[0]
  if demodulate:
    w = weight[None] * styles[:, None, None, :, None]  # [N, k, k, I, O]
    dcoefs = jax.lax.rsqrt(jnp.sum(jnp.square(w), axis=(1, 2, 3)) + DEMOD_EPS)  # [N, O]

  if fused:
    w = weight[None] * styles[:, None, None, :, None]  # [N, k, k, I, O]
    if demodulate:
      w = w * dcoefs[:, None, None, None, :]
    out_channels = w.shape[-1]
    w = jnp.transpose(w, (1, 2, 3, 0, 4)).reshape(k, k, in_channels, n * out_channels)
    xg = jnp.transpose(x, (1, 2, 0, 3)).reshape(1, x.shape[1], x.shape[2], n * in_channels)
    if up:
      y = conv3x3_up(xg, w, groups=n, precision=precision)
    else:
      y = conv2d(xg, w, padding="SAME", groups=n, precision=precision)
    y = jnp.transpose(y.reshape(y.shape[1], y.shape[2], n, out_channels), (2, 0, 1, 3))
    return y if noise is None else y + noise

  x = x * styles[:, None, None, :]
  if up:
    y = conv3x3_up(x, weight, precision=precision)
  else:
    y = conv2d(x, weight, padding="SAME", precision=precision)
  if demodulate:
    y = y * dcoefs[:, None, None, :]
  return y if noise is None else y + noise


def bias_act(x, bias, *, activate: bool, clamp: float | None):
  """Bias, then leaky ReLU times sqrt(2) (if `activate`), then the optional clamp."""
  x = x + bias
  if activate:
    x = jax.nn.leaky_relu(x, LRELU_SLOPE) * LRELU_GAIN
  if clamp is not None:
    x = jnp.clip(x, -clamp, clamp)
  return x


def normalize_2nd_moment(x, eps=1e-8):
  """Pixel norm of latents: x / sqrt(mean(x^2) + eps) over the last axis."""
  return x * jax.lax.rsqrt(jnp.mean(jnp.square(x), axis=-1, keepdims=True) + eps)
