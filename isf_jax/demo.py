"""The demo world: a small StyleGAN2 with deterministic random weights, needing no downloads."""

from __future__ import annotations

import jax
import numpy as np

from isf_jax.stylegan2.config import GeneratorConfig, channels_from_base
from isf_jax.stylegan2.networks import init_generator, mean_w

DEMO_SEED = 20261124
TORGB_SCALE = 0.2


def demo_generator_config() -> GeneratorConfig:
  """64 px, 64 channels at most, 128-d latents, 4 mapping layers: ~0.8M parameters."""
  return GeneratorConfig(
    resolution=64,
    channels=channels_from_base(64, channel_base=2048, channel_max=64),
    z_dim=128,
    w_dim=128,
    mapping_layers=4,
  )


def demo_generator(seed: int = DEMO_SEED) -> tuple[GeneratorConfig, dict]:
  """(config, variables) of the demo generator.

  A freshly initialised StyleGAN2 ignores its noise (strengths start at 0) and has w_avg
  at 0; both are set here so that noise and truncation act as in a trained model. Its
  random ToRGB layers would give images with std ~2.7 that saturate to flat colours, so
  they are scaled by TORGB_SCALE to bring images into [-1, 1].
  """
  config = demo_generator_config()
  _, variables = init_generator(config, seed=seed)
  variables = jax.tree.map(np.asarray, variables)
  rng = np.random.RandomState(seed)

  def adjust(tree):
    for key, value in tree.items():
      if key == "torgb":
        value["weight"] = value["weight"] * np.float32(TORGB_SCALE)
      if isinstance(value, dict):
        adjust(value)
      elif key == "noise_strength":
        tree[key] = np.float32(rng.uniform(0.05, 0.2))

  adjust(variables["params"]["synthesis"])
  variables["buffers"]["mapping"]["w_avg"] = mean_w(config, variables)
  return config, variables
