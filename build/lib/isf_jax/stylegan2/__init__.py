"""StyleGAN2 generator port: modules, config, and checkpoint loading."""

from isf_jax.stylegan2.config import GeneratorConfig, channels_from_base
from isf_jax.stylegan2.networks import Generator, init_generator, mix_styles, truncate

__all__ = [
  "Generator",
  "GeneratorConfig",
  "channels_from_base",
  "init_generator",
  "mix_styles",
  "truncate",
]
