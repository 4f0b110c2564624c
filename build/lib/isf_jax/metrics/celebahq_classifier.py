"""NVIDIA's CelebA-HQ attribute classifier network (StyleGAN metrics; ProGAN's `D_paper`).

Only the network: weights are read by `isf_jax.formats.attribute_classifier`, preprocessing
and label conventions are in `isf_jax.metrics.attribute_classifier`.
"""

from __future__ import annotations

import functools

import flax.linen as nn
import jax.numpy as jnp


def _lrelu(x):
  return nn.leaky_relu(x, 0.2)


class AttributeClassifier(nn.Module):
  """[N, R, R, 3] (already in the network's input convention) -> logits [N]."""

  resolution: int = 256
  fmap_base: int = 8192
  fmap_decay: float = 1.0
  fmap_max: int = 512

  def nf(self, stage: int) -> int:
    return min(int(self.fmap_base / (2.0 ** (stage * self.fmap_decay))), self.fmap_max)

  @nn.compact
  def __call__(self, x):
    log2 = self.resolution.bit_length() - 1
    if self.resolution != 2**log2 or self.resolution < 4:
      raise ValueError(f"classifier resolution must be a power of two >= 4, not {self.resolution}")
    conv = functools.partial(nn.Conv, kernel_size=(3, 3), padding="SAME")
    x = _lrelu(nn.Conv(self.nf(log2 - 1), (1, 1), name="FromRGB_lod0")(x))
    for res in range(log2, 2, -1):  # [N, 2^res, 2^res, C] -> [N, 2^(res-1), 2^(res-1), C']
      block = f"{2**res}x{2**res}"
      x = _lrelu(conv(self.nf(res - 1), name=f"{block}_Conv0")(x))
      x = conv(self.nf(res - 2), name=f"{block}_Conv1_down")(x)
      x = _lrelu(nn.avg_pool(x, (2, 2), (2, 2)))
    x = _lrelu(conv(self.nf(1), name="4x4_Conv")(x))  # [N, 4, 4, nf(1)]
    x = jnp.transpose(x, (0, 3, 1, 2)).reshape(x.shape[0], -1)  # TF's NCHW flattening
    x = _lrelu(nn.Dense(self.nf(0), name="4x4_Dense0")(x))
    return nn.Dense(1, name="4x4_Dense1")(x)[:, 0]  # [N]
