"""Where converted weights and compiled programs live: `$ISF_JAX_CACHE`, else `~/.cache/isf_jax`."""

from __future__ import annotations

import os
from pathlib import Path

# Cache every program, however quick to compile: the small helper jits (PRNG, casts) still
# cost 0.1-0.4 s each on a loaded 2-core CPU, and their entries are a few kB each.
MIN_COMPILE_SECS = 0.0


def cache_dir() -> Path:
  return Path(os.environ.get("ISF_JAX_CACHE", Path.home() / ".cache" / "isf_jax"))


def cache_path(*parts: str) -> Path:
  """`cache_dir()/parts...`, e.g. cache_path("lpips", "alex")."""
  return cache_dir().joinpath(*parts)


def enable_compilation_cache(directory: str | os.PathLike | None = None) -> Path | None:
  """Turn on JAX's persistent compilation cache, so a second run of a command recompiles nothing.

  Called by the commands' main (not at import: a library must not change global JAX settings).
  `directory` defaults to `cache_dir()/xla`; `ISF_JAX_COMPILATION_CACHE=0` turns it off.
  Returns the directory in use, or None when off.
  """
  import jax

  if os.environ.get("ISF_JAX_COMPILATION_CACHE", "1") == "0":
    return None
  path = Path(directory) if directory is not None else cache_path("xla")
  path.mkdir(parents=True, exist_ok=True)
  jax.config.update("jax_compilation_cache_dir", str(path))
  jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_SECS)
  jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
  return path
