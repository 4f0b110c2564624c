"""A random-init ISF checkpoint against the statistics generator, for the editing tests."""

import functools

import jax
import jax.numpy as jnp

from isf_jax.demo import DEMO_ATTRIBUTES, demo_generator_config
from isf_jax.isf_checkpoint import ISFInfo, save_isf
from isf_jax.models.isf import ISF

NOISE_DIM = 8


@functools.lru_cache
def _init_fn(isf_kwargs: tuple):
  return jax.jit(ISF(**dict(isf_kwargs)).init)  # compiled once per architecture


def make_isf_checkpoint(path, attributes=DEMO_ATTRIBUTES, latent="wp", named=True, seed=0):
  """Writes an ISF checkpoint with random weights; returns the path."""
  gen = demo_generator_config()
  kwargs = dict(
    num_layers=gen.num_ws,
    num_domains=len(attributes),
    latent=latent,
    norm="adaln",
    pre_norm=True,
    residual=False,
    hidden_dim=32,
  )
  wp = jnp.zeros((1, gen.w_dim) if latent == "w" else (1, gen.num_ws, gen.w_dim))
  params = _init_fn(tuple(sorted(kwargs.items())))(
    jax.random.key(seed), wp, jnp.zeros((1, NOISE_DIM)), jnp.zeros((1, len(attributes)))
  )["params"]
  info = ISFInfo(
    isf=kwargs,
    noise_dim=NOISE_DIM,
    w_dim=gen.w_dim,
    attributes=tuple(attributes) if named else None,
    generator="statistics",
  )
  save_isf(path, info, params)
  return path


def make_encoder_checkpoint(path, seed=0, generator="statistics"):
  """A narrow e4e encoder with random weights for a built-in generator (statistics: W+ [8, 64],
  faces: [8, 128]); its latent_avg is the generator's w_avg, as a trained e4e's is its
  generator's. Its weights are random, so its codes are poor; returns the path."""
  import numpy as np

  from isf_jax.encoders import e4e
  from isf_jax.generators import read_generator

  gen_config, gen_variables = read_generator(generator)
  config = e4e.E4EConfig(
    resolution=gen_config.resolution,
    stem_channels=16,
    stage_depths=(16, 16, 32, 32),
    style_dim=gen_config.w_dim,
  )
  variables = e4e.random_variables(config, seed)
  w_avg = np.asarray(gen_variables["buffers"]["mapping"]["w_avg"])
  latent_avg = np.broadcast_to(w_avg, (config.n_styles, config.style_dim))
  variables = {**variables, "buffers": {"latent_avg": np.array(latent_avg, np.float32)}}
  e4e.save_encoder(path, config, variables)
  return path
