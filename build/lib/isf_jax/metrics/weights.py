"""Where converted metric-network weights live, and how they are stored.

A converted network is a `checkpoints.save_directory` folder whose config.json holds
{"network": kind, ..., "source": file name}; its default place is `{cache}/{kind}` (or
`{cache}/{kind}/{variant}`), the cache being `isf_jax.cache.cache_dir()`.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from isf_jax import checkpoints


def save_network(path, variables: dict, meta: dict, overwrite: bool = False) -> None:
  checkpoints.save_directory(path, variables, json.dumps(meta, indent=2), overwrite=overwrite)


def load_network(path, network: str, make_command: str) -> tuple[dict, dict]:
  """(meta, variables as jax arrays); FileNotFoundError naming `make_command` if absent."""
  path = Path(path)
  if not checkpoints.is_checkpoint(path):
    raise FileNotFoundError(f"no {network} weights at {path}; make them with `{make_command}`")
  meta_text, variables = checkpoints.load_directory(path)
  meta = json.loads(meta_text)
  if meta.get("network") != network:
    raise ValueError(f"{path} holds a {meta.get('network')!r} network, not {network!r}")
  return meta, jax.tree.map(jnp.asarray, variables)


def random_variables(module, input_shape: tuple, seed: int) -> dict:
  """Deterministic stand-in weights for `module` (tests, timing; not for scores): He-scaled
  normal kernels, unit BatchNorm scales and variances, zero biases and means, PReLU slopes
  0.25. Drawn with numpy from the shapes alone, so nothing is compiled."""
  x = jax.ShapeDtypeStruct(input_shape, jnp.float32)
  shapes = jax.eval_shape(module.init, jax.random.key(0), x)
  rng = np.random.default_rng(seed)

  def fill(path, leaf):
    name = path[-1].key
    if name == "kernel":
      value = rng.standard_normal(leaf.shape) * np.sqrt(2.0 / np.prod(leaf.shape[:-1]))
    elif name in ("scale", "var"):
      value = np.ones(leaf.shape)
    elif name == "alpha":
      value = np.full(leaf.shape, 0.25)
    else:
      value = np.zeros(leaf.shape)
    return jnp.asarray(value, jnp.float32)

  return jax.tree_util.tree_map_with_path(fill, shapes)
