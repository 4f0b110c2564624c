"""The networks of an encoder run: the encoder's shape checked against the generator, the
frozen generator, LPIPS and (optional) ArcFace, and the step's `Networks`."""

from __future__ import annotations

import jax
import ml_collections
import numpy as np

from isf_jax import generators
from isf_jax.encoder_training import step
from isf_jax.encoders import e4e


def encoder_config(config: ml_collections.ConfigDict, generator_config) -> e4e.E4EConfig:
  """The e4e shape of config.encoder for this generator. config.encoder.resolution and
  style_dim (0: the generator's) pin the generator the config was written for; a generator
  that does not fit is a one-line error."""
  enc = config.encoder
  want = (enc.resolution or generator_config.resolution, enc.style_dim or generator_config.w_dim)
  have = (generator_config.resolution, generator_config.w_dim)
  if want != have:
    raise ValueError(
      f"generator {config.generator.ckpt!r} is {have[0]} px with w_dim {have[1]}, but the "
      f"encoder config is for {want[0]} px with w_dim {want[1]}: use a config for this "
      "generator (or set --config.encoder.resolution=0 --config.encoder.style_dim=0)"
    )
  if enc.input_size > 8 * generator_config.resolution:
    raise ValueError(
      f"encoder input_size {enc.input_size} is over 8x the {have[0]} px photos: "
      "the encoder would see nothing but interpolation"
    )
  return e4e.E4EConfig(
    resolution=have[0],
    stem_channels=enc.stem_channels,
    stage_depths=tuple(enc.stage_depths),
    style_dim=have[1],
    start_from_latent_avg=True,  # codes are offsets from w_avg
    stage_units=tuple(enc.stage_units),
    input_size=enc.input_size,
  )


def load_frozen(config):
  """(generator config, generator module, {"generator", "lpips"[, "arcface"]} variables,
  LPIPS module, ArcFace module or None)."""
  from isf_jax.lpips.checkpoint import load_lpips

  generator_config, generator_variables = generators.read_generator(config.generator.ckpt)
  encoder_config(config, generator_config)  # a misfit fails before anything else loads
  frozen = {"generator": generator_variables}
  lpips, frozen["lpips"] = load_lpips(config.loss.lpips_net, "0.1", check_range=False)
  arcface = None
  if config.loss.arcface:
    from isf_jax.metrics import arcface as arcface_lib
    from isf_jax.metrics import weights

    _, frozen["arcface"] = weights.load_network(
      config.loss.arcface, "arcface", arcface_lib.MAKE_COMMAND
    )
    arcface = arcface_lib.IRSE50()
  frozen = jax.tree.map(np.asarray, frozen)
  generator = generators.generator_module(generator_config)
  return generator_config, generator, frozen, lpips, arcface


def build_networks(config, generator_config, generator, lpips, arcface) -> step.Networks:
  loss = ml_collections.ConfigDict(config.loss.to_dict())
  loss.psi = config.data.psi
  return step.Networks(
    encoder=e4e.Encoder4Editing(encoder_config(config, generator_config)),
    generator=generator,
    lpips=lpips,
    arcface=arcface,
    tx=step.make_optimizer(config.optim, config.total_steps),
    z_dim=generator_config.z_dim,
    cfg=loss,
  )


def w_avg(generator_variables) -> np.ndarray:
  """The generator's w_avg [C] (the truncation centre; the projector's start)."""
  return np.asarray(generator_variables["buffers"]["mapping"]["w_avg"], np.float32)
