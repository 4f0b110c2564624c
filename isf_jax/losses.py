"""ISF-GAN loss terms as pure functions (official `core/solver.py` definitions).

Every function returns a scalar averaged as the official code does; the weights live in the
config and are applied by the train step.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from isf_jax.metrics.resize import resize_bilinear_torch

# How rendered images reach the D/loss size: "box" averages factor x factor blocks (the official
# StyleGAN2 code's AdaptiveAvgPool2d), "bilinear" is torch F.interpolate(mode="bilinear",
# align_corners=False) without antialiasing (the official StyleGAN v1 code).
RESIZE_MODES = ("box", "bilinear")


def bce_with_logits(logits, targets, pos_weight=None):
  """Mean binary cross-entropy on logits; `pos_weight` [K] scales the positive term (torch)."""
  targets = targets.astype(logits.dtype)
  positive = jax.nn.softplus(-logits)  # -log sigmoid(x)
  negative = jax.nn.softplus(logits)  # -log(1 - sigmoid(x))
  if pos_weight is not None:
    positive = positive * pos_weight
  return jnp.mean(targets * positive + (1 - targets) * negative)


def d_adversarial(real_logits, fake_logits):
  """Non-saturating logistic D loss: BCE(real, 1) + BCE(fake, 0)."""
  return jnp.mean(jax.nn.softplus(-real_logits)) + jnp.mean(jax.nn.softplus(fake_logits))


def g_adversarial(fake_logits):
  """Non-saturating generator loss: BCE(fake, 1)."""
  return jnp.mean(jax.nn.softplus(-fake_logits))


def r1_penalty(logits_fn, images):
  """0.5 * batch mean of ||d sum(logits) / d images||^2 (gamma applied by the caller).

  `logits_fn` maps images to the logits being regularised: the attribute logits in the
  official code, the real/fake logit in the paper.
  """
  grads = jax.grad(lambda x: jnp.sum(logits_fn(x)))(images)
  return 0.5 * jnp.mean(jnp.sum(jnp.square(grads).reshape(grads.shape[0], -1), axis=1))


def neighbouring(w_new, w):
  """Batch mean of the (unsquared) Frobenius norm of w' - w over layers and channels."""
  diff = (w_new - w).reshape(w.shape[0], -1)
  return jnp.mean(jnp.sqrt(jnp.sum(jnp.square(diff), axis=1)))


def l1(a, b):
  """Mean absolute difference over every element."""
  return jnp.mean(jnp.abs(a - b))


def diversity_weight(step, weight: float, decay_steps: int):
  """Constant `weight` (decay_steps 0, official) or linear decay to 0 over decay_steps (paper)."""
  if decay_steps <= 0:
    return jnp.asarray(weight, jnp.float32)
  return weight * jnp.clip(1.0 - step / decay_steps, 0.0, 1.0)


def box_downsample(images, size: int):
  """Average non-overlapping blocks to [N, size, size, C] (torch AdaptiveAvgPool2d for
  integer factors, as the official code reduces 1024 px to 256 px)."""
  n, h, w, c = images.shape
  if h == size:
    return images
  if h % size or w != h:
    raise ValueError(f"cannot box-downsample {h}x{w} to {size}")
  f = h // size
  return images.reshape(n, size, f, size, f, c).mean(axis=(2, 4))


def resize_to(images, size: int, mode: str = "box"):
  """[N, H, H, C] -> [N, size, size, C] by `mode` (RESIZE_MODES); unchanged at `size`."""
  if mode not in RESIZE_MODES:
    raise ValueError(f"resize mode must be one of {RESIZE_MODES}, got {mode!r}")
  if images.shape[1] == size and images.shape[2] == size:
    return images
  if mode == "box":
    return box_downsample(images, size)
  return resize_bilinear_torch(images, (size, size))
