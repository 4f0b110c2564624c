"""StyleGAN2 residual discriminator (config E/F "resnet") in Flax linen, NHWC.

Per resolution R ... 8 a block: [FromRGB 1x1 at the top block], conv 3x3, blurred stride-2
conv 3x3, and a blurred stride-2 1x1 skip, the two paths summed with gain sqrt(1/2). At 4x4 the
epilogue: minibatch standard deviation (one extra channel), conv 3x3, dense, dense -> 1 logit.
Equalised learning rate (weights N(0, 1) scaled by 1 / sqrt(fan_in) at run time), leaky ReLU
times sqrt(2), and the [1, 3, 3, 1] filter blurring before every down-sampling, as in the
references. Written for training from scratch here; not a port of a checkpoint format.

One departure: minibatch-stddev groups are consecutive samples (the references stride them
across the batch), so a group never spans two devices of a data-parallel mesh.
"""

from __future__ import annotations

import math

import flax.linen as nn
import jax
import jax.numpy as jnp

from isf_jax.stylegan2 import ops


def _blur(x, pad: int):
  """The resampling filter (gain 1) after `pad` zeros on every side: H -> H + 2 pad - 3."""
  return ops.fir_filter(x, up=1, pad=(pad, pad), gain=1.0)


class EqualizedConv(nn.Module):
  """k x k conv, stride 1 or (after a blur) 2, equalised learning rate, optional bias/activation."""

  features: int
  kernel_size: int = 3
  down: bool = False
  use_bias: bool = True
  activate: bool = True
  gain: float = 1.0

  @nn.compact
  def __call__(self, x):  # [N, H, W, I] -> [N, H', W', features], H' = H / 2 when `down`
    k, in_channels = self.kernel_size, x.shape[-1]
    weight = self.param("weight", nn.initializers.normal(1.0), (k, k, in_channels, self.features))
    weight = weight * (1.0 / math.sqrt(k * k * in_channels))
    if self.down:
      # Blur then stride 2: pad so that the strided taps cover the image symmetrically.
      x = _blur(x, pad=(k + 1) // 2)
      padding, stride = "VALID", (2, 2)
    else:
      padding, stride = "SAME", (1, 1)
    y = jax.lax.conv_general_dilated(
      x, weight, stride, padding, dimension_numbers=("NHWC", "HWIO", "NHWC")
    )
    if self.use_bias:
      y = y + self.param("bias", nn.initializers.zeros, (self.features,))
    if self.activate:
      y = jax.nn.leaky_relu(y, ops.LRELU_SLOPE) * ops.LRELU_GAIN
    return y * self.gain


class EqualizedLinear(nn.Module):
  features: int
  activate: bool = True

  @nn.compact
  def __call__(self, x):  # [N, I] -> [N, features]
    weight = self.param("weight", nn.initializers.normal(1.0), (x.shape[-1], self.features))
    y = x @ (weight * (1.0 / math.sqrt(x.shape[-1])))
    y = y + self.param("bias", nn.initializers.zeros, (self.features,))
    return jax.nn.leaky_relu(y, ops.LRELU_SLOPE) * ops.LRELU_GAIN if self.activate else y


def minibatch_stddev(x, group_size: int = 4):
  """Append the mean over features of the per-group standard deviation: [N, H, W, C] -> C + 1.

  Groups are `group_size` consecutive samples (fewer if N is smaller); N must divide evenly.
  """
  n, h, w, c = x.shape
  g = min(group_size, n)
  if n % g:
    raise ValueError(f"minibatch-stddev needs a batch divisible by {g}, got {n}")
  y = x.reshape(n // g, g, h, w, c).astype(jnp.float32)
  std = jnp.sqrt(jnp.var(y, axis=1) + 1e-8)  # [N/G, H, W, C]
  stat = jnp.mean(std, axis=(1, 2, 3))  # [N/G]
  stat = jnp.broadcast_to(jnp.repeat(stat, g)[:, None, None, None], (n, h, w, 1))
  return jnp.concatenate([x, stat.astype(x.dtype)], axis=-1)


class Discriminator(nn.Module):
  """[N, R, R, 3] images in [-1, 1] -> real/fake logits [N].

  `channels` lists the feature channels at 4, 8, ..., R (the generator's convention).
  """

  resolution: int
  channels: tuple[int, ...]
  mbstd_group_size: int = 4

  def channels_at(self, res: int) -> int:
    return self.channels[int(math.log2(res)) - 2]

  @nn.compact
  def __call__(self, images):
    if images.shape[1:] != (self.resolution, self.resolution, 3):
      raise ValueError(
        f"expected images [N, {self.resolution}, {self.resolution}, 3], got {images.shape}"
      )
    if len(self.channels) != int(math.log2(self.resolution)) - 1:
      raise ValueError(f"channels needs one entry per resolution 4..{self.resolution}")
    res = self.resolution
    x = EqualizedConv(self.channels_at(res), kernel_size=1, name=f"b{res}_fromrgb")(images)
    skip_gain = math.sqrt(0.5)
    while res > 4:
      c_in, c_out = self.channels_at(res), self.channels_at(res // 2)
      skip = EqualizedConv(
        c_out, 1, down=True, use_bias=False, activate=False, gain=skip_gain, name=f"b{res}_skip"
      )(x)
      x = EqualizedConv(c_in, name=f"b{res}_conv0")(x)
      x = EqualizedConv(c_out, down=True, gain=skip_gain, name=f"b{res}_conv1")(x)
      x = x + skip  # [N, res / 2, res / 2, c_out]
      res //= 2
    c = self.channels_at(4)
    x = minibatch_stddev(x, self.mbstd_group_size)  # [N, 4, 4, c + 1]
    x = EqualizedConv(c, name="b4_conv")(x)
    x = EqualizedLinear(c, name="b4_fc")(x.reshape(x.shape[0], -1))
    return EqualizedLinear(1, activate=False, name="b4_out")(x)[:, 0]
