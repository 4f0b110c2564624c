"""ISF-GAN in JAX/Flax: implicit style functions that edit a frozen StyleGAN2's W+ codes.

The loaders, one per persistent thing (each returns a module and variables ready for `apply`):
  load_generator("faces" | path)        -> (Generator, variables)
  load_isf(path)                        -> (ISF, variables, ISFInfo)
  load_lpips(net="alex", version="0.1") -> (LPIPS, variables)
"""

import importlib

__version__ = "0.1.0"

# Imported on first use, so that `import isf_jax.<submodule>` stays light.
_LOADERS = {
  "load_generator": "isf_jax.generators",
  "load_isf": "isf_jax.isf_checkpoint",
  "load_lpips": "isf_jax.lpips.checkpoint",
}
__all__ = list(_LOADERS)


def __getattr__(name):
  if name in _LOADERS:
    return getattr(importlib.import_module(_LOADERS[name]), name)
  raise AttributeError(f"module 'isf_jax' has no attribute {name!r}")
