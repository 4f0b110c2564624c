"""StyleGAN (v1) generator port: modules, config, and checkpoint loading."""

from isf_jax.stylegan1.config import GeneratorConfig, channels_from_fmaps, ffhq_config
from isf_jax.stylegan1.networks import Generator, init_generator, mix_styles, truncate

__all__ = [
  "Generator",
  "GeneratorConfig",
  "channels_from_fmaps",
  "ffhq_config",
  "init_generator",
  "mix_styles",
  "truncate",
]
