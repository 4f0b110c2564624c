"""Architecture description of a StyleGAN2 generator (config F, skip ToRGB).

Everything that varies between checkpoints lives here, so a converted checkpoint is
fully described by its parameters plus this config (stored as JSON beside them).
"""

from __future__ import annotations

import dataclasses
import json
import math

KIND = "stylegan2"


@dataclasses.dataclass(frozen=True)
class GeneratorConfig:
  """Shape of a StyleGAN2 generator.

  Attributes:
    resolution: output size, a power of two from 8 to 1024.
    channels: feature channels per resolution 4, 8, ..., `resolution`.
    z_dim: latent (Z) size.
    w_dim: intermediate latent (W) and style size.
    mapping_layers: number of fully connected layers in the mapping network.
    mapping_lr_multiplier: equalised-learning-rate multiplier of the mapping network.
    img_channels: output image channels.
    conv_clamp: clamp for every synthesis activation (stylegan2-ada trained models use 256).
    num_fp16_res: blocks the source ran in float16; recorded only, this port runs float32.
    kind: always "stylegan2" (`isf_jax.stylegan1` configs say "stylegan1").
  """

  resolution: int
  channels: tuple[int, ...]
  z_dim: int = 512
  w_dim: int = 512
  mapping_layers: int = 8
  mapping_lr_multiplier: float = 0.01
  img_channels: int = 3
  conv_clamp: float | None = None
  num_fp16_res: int = 0
  kind: str = KIND

  def __post_init__(self):
    if self.kind != KIND:
      raise ValueError(f"a StyleGAN2 config must have kind {KIND!r}, got {self.kind!r}")
    log2 = math.log2(self.resolution)
    if self.resolution < 8 or self.resolution > 1024 or log2 != int(log2):
      raise ValueError(f"resolution must be a power of two in [8, 1024], got {self.resolution}")
    object.__setattr__(self, "channels", tuple(int(c) for c in self.channels))
    if len(self.channels) != self.num_blocks:
      raise ValueError(
        f"channels needs one entry per resolution 4..{self.resolution} "
        f"({self.num_blocks}), got {len(self.channels)}"
      )

  @property
  def resolutions(self) -> tuple[int, ...]:
    return tuple(2**i for i in range(2, int(math.log2(self.resolution)) + 1))

  @property
  def num_blocks(self) -> int:
    return int(math.log2(self.resolution)) - 1

  @property
  def num_ws(self) -> int:
    """W+ layers: one per conv layer plus the last ToRGB (18 at 1024 px)."""
    return 2 * self.num_blocks

  @property
  def num_conv_layers(self) -> int:
    """Conv layers, i.e. noise inputs (17 at 1024 px)."""
    return 2 * self.num_blocks - 1

  def channels_at(self, res: int) -> int:
    return self.channels[int(math.log2(res)) - 2]

  def to_json(self) -> str:
    return json.dumps(dataclasses.asdict(self), indent=2)

  @classmethod
  def from_json(cls, text: str) -> GeneratorConfig:
    fields = json.loads(text)
    kind = fields.get("kind", KIND)  # configs written before `kind` existed are StyleGAN2
    if kind != KIND:
      raise ValueError(
        f"config describes a {kind!r} generator, not a StyleGAN2 one "
        "(isf_jax.load_generator reads both kinds)"
      )
    return cls(**fields)


def channels_from_base(resolution: int, channel_base: int = 32768, channel_max: int = 512):
  """stylegan2-ada's channel rule, min(channel_base // res, channel_max).

  channel_base 32768 is config F (rosinality channel_multiplier 2, TF fmap_base 16384).
  """
  return tuple(
    min(channel_base // 2**i, channel_max) for i in range(2, int(math.log2(resolution)) + 1)
  )


def noise_resolution(layer_index: int) -> int:
  """Spatial size of conv layer `layer_index` (0 = the 4x4 conv, then up-conv, conv, ...)."""
  return 2 ** ((layer_index + 5) // 2)
