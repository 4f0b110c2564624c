"""Where converted weights live by default: `$ISF_JAX_CACHE`, else `~/.cache/isf_jax`."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
  return Path(os.environ.get("ISF_JAX_CACHE", Path.home() / ".cache" / "isf_jax"))


def cache_path(*parts: str) -> Path:
  """`cache_dir()/parts...`, e.g. cache_path("lpips", "alex")."""
  return cache_dir().joinpath(*parts)
