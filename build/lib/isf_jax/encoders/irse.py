"""IR-SE building blocks (TreB1eN's InsightFace port, as pSp and e4e use it), shared by the
ArcFace FRS metric (`isf_jax.metrics.arcface`) and the e4e encoder (`isf_jax.encoders.e4e`).

A unit adds
  residual: BN -> conv 3x3 -> PReLU -> conv 3x3 (stride) -> BN -> squeeze-excitation (1/16)
  shortcut: subsampling by the stride when the depth is unchanged (torch `MaxPool2d(1, stride)`),
            else conv 1x1 (stride) + BN.
BatchNorm eps 1e-5 with running statistics (inference only).
"""

from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp


def batch_norm(name: str):
  return nn.BatchNorm(use_running_average=True, epsilon=1e-5, name=name)


class PReLU(nn.Module):
  """max(x, 0) + alpha * min(x, 0) with one learned slope per channel."""

  @nn.compact
  def __call__(self, x):
    alpha = self.param("alpha", nn.initializers.constant(0.25), (x.shape[-1],))
    return jnp.where(x >= 0, x, alpha * x)


class SqueezeExcitation(nn.Module):
  reduction: int = 16

  @nn.compact
  def __call__(self, x):  # [N, H, W, C] -> [N, H, W, C]
    channels = x.shape[-1]
    s = jnp.mean(x, axis=(1, 2), keepdims=True)  # [N, 1, 1, C]
    s = nn.relu(nn.Conv(channels // self.reduction, (1, 1), use_bias=False, name="fc1")(s))
    s = nn.sigmoid(nn.Conv(channels, (1, 1), use_bias=False, name="fc2")(s))
    return x * s


class BottleneckIRSE(nn.Module):
  depth: int
  stride: int

  @nn.compact
  def __call__(self, x):  # [N, H, W, C] -> [N, H / stride, W / stride, depth]
    if x.shape[-1] == self.depth:
      shortcut = x[:, :: self.stride, :: self.stride]
    else:
      shortcut = nn.Conv(
        self.depth, (1, 1), self.stride, "VALID", use_bias=False, name="shortcut_conv"
      )(x)
      shortcut = batch_norm("shortcut_bn")(shortcut)
    r = batch_norm("bn_in")(x)
    r = nn.Conv(self.depth, (3, 3), 1, ((1, 1), (1, 1)), use_bias=False, name="conv1")(r)
    r = PReLU(name="prelu")(r)
    r = nn.Conv(self.depth, (3, 3), self.stride, ((1, 1), (1, 1)), use_bias=False, name="conv2")(r)
    r = batch_norm("bn_out")(r)
    r = SqueezeExcitation(name="se")(r)
    return r + shortcut
