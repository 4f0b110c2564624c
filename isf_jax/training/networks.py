"""The networks of a run, from its config: the frozen generator and LPIPS (never part of the
train state), the ISF and discriminator with their optimisers, and the ISF checkpoint record."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from isf_jax import generators, optim, train_step
from isf_jax.isf_checkpoint import ISFInfo, save_isf
from isf_jax.lpips.checkpoint import load_lpips
from isf_jax.models.discriminator import Discriminator
from isf_jax.models.isf import ISF


def load_generator(config):
  """(module, variables) of the frozen generator named by config.generator.ckpt, checked
  against the ISF's layer count."""
  if not config.generator.ckpt:
    raise FileNotFoundError(
      f"no generator checkpoint given; make one with `{config.generator.make_command}` "
      "and pass --config.generator.ckpt=CKPT_DIR"
    )
  generator, variables = generators.load_generator(
    config.generator.ckpt, dtype=config.train.frozen_dtype
  )
  num_ws = generator.config.num_ws
  if num_ws != config.isf.num_layers and config.isf.latent == "wp":
    raise ValueError(
      f"generator has {num_ws} W+ layers but config.isf.num_layers is {config.isf.num_layers}"
    )
  return generator, variables


def load_frozen(config):
  """(generator module, LPIPS module, frozen variables) — never part of the train state."""
  generator, gen_vars = load_generator(config)
  lpips, lpips_vars = load_lpips(
    config.lpips.net,
    config.lpips.version,
    config.lpips.path or None,
    check_range=False,
    dtype=jnp.dtype(config.train.frozen_dtype),
  )
  return generator, lpips, {"generator": gen_vars, "lpips": lpips_vars}


def isf_kwargs(config) -> dict:
  return dict(
    num_layers=config.isf.num_layers,
    num_domains=len(config.data.attributes),
    latent=config.isf.latent,
    norm=config.isf.norm,
    pre_norm=config.isf.pre_norm,
    residual=config.isf.residual,
    hidden_dim=config.isf.hidden_dim,
  )


def build_networks(config, generator, lpips) -> train_step.Networks:
  num_domains = len(config.data.attributes)
  return train_step.Networks(
    isf=ISF(**isf_kwargs(config)),
    discriminator=Discriminator(
      img_size=config.train.img_size,
      num_domains=num_domains,
      dim_in=config.disc.dim_in or None,
      max_channels=config.disc.max_channels,
    ),
    generator=generator,
    lpips=lpips,
    isf_tx=optim.make_optimizer(config.optim, config.total_steps),
    d_tx=optim.make_optimizer(config.optim, config.total_steps),
    cfg=config.train,
  )


def isf_info(config, w_dim: int, step: int | None = None) -> ISFInfo:
  """What the ISF checkpoint of a run records besides its parameters."""
  return ISFInfo(
    isf=isf_kwargs(config),
    noise_dim=config.train.noise_dim,
    w_dim=w_dim,
    attributes=tuple(config.data.attributes),
    generator=config.generator.ckpt,
    step=step,
  )


def export_isf(path, config, state, w_dim: int) -> None:
  """Writes the EMA ISF as an ISF checkpoint (`isf_jax.load_isf` reads it)."""
  info = isf_info(config, w_dim, int(state.step))
  save_isf(path, info, jax.device_get(state.isf_ema_params), overwrite=True)
