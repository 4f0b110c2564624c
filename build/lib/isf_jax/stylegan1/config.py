"""Architecture description of a StyleGAN (v1) generator (NVlabs `G_style`, InterFaceGAN's port).

Mirrors `isf_jax.stylegan2.config.GeneratorConfig`; `kind` tells the two apart in a
checkpoint's `config.json`.
"""

from __future__ import annotations

import dataclasses
import json
import math

KIND = "stylegan1"

# InterFaceGAN's Set1 settings (models/model_settings.py): psi 0.7 on the first 8 W+ layers.
INTERFACEGAN_TRUNCATION_PSI = 0.7
INTERFACEGAN_TRUNCATION_CUTOFF = 8


@dataclasses.dataclass(frozen=True)
class GeneratorConfig:
  """Shape of a StyleGAN v1 generator.

  Attributes:
    resolution: output size, a power of two from 8 to 1024.
    channels: feature channels per resolution 4, 8, ..., `resolution`.
    z_dim: latent (Z) size.
    w_dim: intermediate latent (W) size; the mapping's hidden layers have this size too.
    mapping_layers: fully connected layers in the mapping network.
    mapping_lr_multiplier: equalised-learning-rate multiplier of the mapping network.
    img_channels: output image channels.
    fused_upsample_min_res: blocks at this resolution and above upsample with the fused
      transposed convolution, the others with nearest neighbour + conv (NVlabs
      `fused_scale='auto'` is 128; True is 8; None means never).
    kind: always "stylegan1".
  """

  resolution: int
  channels: tuple[int, ...]
  z_dim: int = 512
  w_dim: int = 512
  mapping_layers: int = 8
  mapping_lr_multiplier: float = 0.01
  img_channels: int = 3
  fused_upsample_min_res: int | None = 128
  kind: str = KIND

  def __post_init__(self):
    if self.kind != KIND:
      raise ValueError(f"a StyleGAN v1 config must have kind {KIND!r}, got {self.kind!r}")
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
    """W+ layers: one per synthesis layer (18 at 1024 px); ToRGB takes no style."""
    return 2 * self.num_blocks

  @property
  def num_conv_layers(self) -> int:
    """Layers with a noise input: the const layer and every conv (= num_ws)."""
    return self.num_ws

  def channels_at(self, res: int) -> int:
    return self.channels[int(math.log2(res)) - 2]

  def fused_upsample(self, res: int) -> bool:
    """Whether the block at `res` upsamples with the fused transposed convolution."""
    return self.fused_upsample_min_res is not None and res >= self.fused_upsample_min_res

  def to_json(self) -> str:
    return json.dumps(dataclasses.asdict(self), indent=2)

  @classmethod
  def from_json(cls, text: str) -> GeneratorConfig:
    fields = json.loads(text)
    kind = fields.get("kind", "stylegan2")  # StyleGAN2 configs written before `kind` had none
    if kind != KIND:
      raise ValueError(f"config describes a {kind!r} generator, not a StyleGAN v1 ({KIND!r}) one")
    return cls(**fields)


def channels_from_fmaps(
  resolution: int, fmap_base: int = 8192, fmap_max: int = 512, fmap_decay: float = 1.0
) -> tuple[int, ...]:
  """NVlabs StyleGAN's channel rule nf(log2(res) - 1), nf(s) = min(fmap_base / 2^(s decay), max).

  The defaults give the official FFHQ/CelebA-HQ 1024 px generators (512 up to 32 px, 16 at 1024).
  """

  def nf(stage):
    return min(int(fmap_base / (2.0 ** (stage * fmap_decay))), fmap_max)

  return tuple(nf(i - 1) for i in range(2, int(math.log2(resolution)) + 1))


def ffhq_config() -> GeneratorConfig:
  """karras2019stylegan-ffhq-1024x1024.pkl / InterFaceGAN's stylegan_ffhq.pth."""
  return GeneratorConfig(resolution=1024, channels=channels_from_fmaps(1024))


def noise_resolution(layer_index: int) -> int:
  """Spatial size of synthesis layer `layer_index` (0 and 1: 4x4, 2 and 3: 8x8, ...)."""
  return 2 ** (layer_index // 2 + 2)
