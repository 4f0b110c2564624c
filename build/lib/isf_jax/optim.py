"""Optimisers of the official code: Adam(0, 0.99) with coupled L2 weight decay, global-norm
clipping, and timm's CosineLRScheduler (linear warm-up, then cosine at the absolute step)."""

from __future__ import annotations

import jax.numpy as jnp
import ml_collections
import optax


def learning_rate_schedule(cfg: ml_collections.ConfigDict, total_steps: int):
  """lr(t): warmup_init + t (lr - warmup_init) / warmup for t < warmup, else
  lr_min + (lr - lr_min)(1 + cos(pi t / total)) / 2 (timm: no warm-up offset in the cosine)."""

  def schedule(step):
    step = jnp.asarray(step, jnp.float32)
    warm = cfg.warmup_init_lr + step * (cfg.lr - cfg.warmup_init_lr) / max(cfg.warmup_steps, 1)
    cosine = cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + jnp.cos(jnp.pi * step / total_steps))
    return jnp.where(step < cfg.warmup_steps, warm, cosine)

  return schedule


def make_optimizer(
  cfg: ml_collections.ConfigDict, total_steps: int
) -> optax.GradientTransformation:
  """clip(global norm) -> L2 decay added to the gradient (torch Adam) -> Adam -> -lr."""
  return optax.chain(
    optax.clip_by_global_norm(cfg.grad_clip),
    optax.add_decayed_weights(cfg.weight_decay),
    optax.scale_by_adam(b1=cfg.b1, b2=cfg.b2, eps=cfg.eps),
    optax.scale_by_learning_rate(learning_rate_schedule(cfg, total_steps)),
  )
