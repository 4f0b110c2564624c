"""StarGAN-v2-style discriminator with separate attribute and real/fake heads (official ISF-GAN)."""

from __future__ import annotations

import math

import flax.linen as nn

LRELU_SLOPE = 0.2


def _conv(features, k, name, use_bias=True, pad=None):
  pad = k // 2 if pad is None else pad
  return nn.Conv(features, (k, k), padding=((pad, pad), (pad, pad)), use_bias=use_bias, name=name)


def _avg_pool2(x):
  return nn.avg_pool(x, (2, 2), strides=(2, 2))


class ResBlock(nn.Module):
  """(shortcut + residual) / sqrt(2), halving the resolution."""

  out_channels: int

  @nn.compact
  def __call__(self, x):  # [N, H, W, I] -> [N, H/2, W/2, out_channels]
    in_channels = x.shape[-1]
    shortcut = x
    if in_channels != self.out_channels:
      shortcut = _conv(self.out_channels, 1, "shortcut", use_bias=False)(shortcut)
    shortcut = _avg_pool2(shortcut)
    h = _conv(in_channels, 3, "conv1")(nn.leaky_relu(x, LRELU_SLOPE))
    h = _conv(self.out_channels, 3, "conv2")(nn.leaky_relu(_avg_pool2(h), LRELU_SLOPE))
    return (shortcut + h) / math.sqrt(2)


class Head(nn.Module):
  """LeakyReLU -> 4x4 valid conv -> LeakyReLU -> 1x1 conv to `outputs` logits."""

  outputs: int

  @nn.compact
  def __call__(self, x):  # [N, 4, 4, C] -> [N, outputs]
    x = nn.leaky_relu(x, LRELU_SLOPE)
    x = nn.leaky_relu(_conv(x.shape[-1], 4, "conv", pad=0)(x), LRELU_SLOPE)
    return _conv(self.outputs, 1, "out")(x).reshape(x.shape[0], self.outputs)


class Discriminator(nn.Module):
  """Returns (attribute logits [N, K], real/fake logit [N]) for images [N, S, S, 3] in [-1, 1].

  Attributes:
    img_size: input size S, a power of two; log2(S) - 2 residual blocks down to 4x4.
    num_domains: K attributes.
    dim_in: stem width (official: 2**14 // img_size).
    max_channels: channel cap (official: 512).
  """

  img_size: int = 256
  num_domains: int = 4
  dim_in: int | None = None
  max_channels: int = 512

  @nn.compact
  def __call__(self, x):
    if x.shape[1:] != (self.img_size, self.img_size, 3):
      raise ValueError(f"expected images [N, {self.img_size}, {self.img_size}, 3], got {x.shape}")
    channels = self.dim_in or 2**14 // self.img_size
    x = _conv(channels, 3, "stem")(x)
    for i in range(int(math.log2(self.img_size)) - 2):
      channels = min(2 * channels, self.max_channels)
      x = ResBlock(channels, name=f"block{i}")(x)
    return Head(self.num_domains, name="cls_head")(x), Head(1, name="src_head")(x)[:, 0]
