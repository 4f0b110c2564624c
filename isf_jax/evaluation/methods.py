"""The editors an evaluation compares: the ISF and the InterFaceGAN baseline."""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp

from isf_jax.evaluation.protocol import Method


def isf_method(isf_module, params, noise_dim: int, name="isf") -> Method:
  def edit(wp, targets, asked, key):
    del asked  # the targets say everything: the others are the source's labels
    noise = jax.random.normal(key, (wp.shape[0], noise_dim))
    return isf_module.apply({"params": params}, wp, noise, targets)

  return Method(name, edit, "ISF (EMA weights), one noise draw per translation")


def interfacegan_method(normals, alpha: float, layer_scale=None, name="interfacegan") -> Method:
  """w +- alpha n on every W+ layer, summed over the attributes asked for; layer_scale [L]
  (the truncation's psi per layer) makes it InterFaceGAN's W edit made before the truncation
  (StyleGAN v1)."""
  from isf_jax.baselines import interfacegan

  normals = jnp.asarray(normals)  # [K, C]
  scale = None if layer_scale is None else jnp.asarray(layer_scale)  # [L]

  def edit(wp, targets, asked, key):
    del key  # deterministic
    return interfacegan.edit_attributes(wp, normals, targets, asked, alpha, scale)

  where = "every W+ layer" if scale is None else "W, then the truncation"
  return Method(name, edit, f"InterFaceGAN, w +- {alpha} n on {where}")


def interfacegan_boundaries(
  train_split: dict, attributes, cache: Path, data_name: str, layer: int = 0
):
  """Boundaries trained on W+ layer `layer` of the training split (cached next to the
  results)."""
  from isf_jax.baselines import interfacegan

  latent = "first W+ layer" if layer == 0 else f"W+ layer {layer} (W, untruncated)"
  meta = {"data": data_name, "num_train": int(len(train_split["wp"])), "attributes": attributes,
          "chosen_ratio": interfacegan.CHOSEN_RATIO, "latent": latent}  # fmt: skip
  if cache.exists():
    boundaries, saved = interfacegan.load_boundaries(cache)
    if saved == meta:
      return boundaries
  print(f"training {len(attributes)} InterFaceGAN boundaries (linear SVMs)", file=sys.stderr)
  boundaries = interfacegan.train_boundaries(
    train_split["wp"],
    train_split["labels"],
    attributes,
    probs=train_split.get("probs"),
    layer=layer,
  )
  interfacegan.save_boundaries(cache, boundaries, meta)
  return boundaries
