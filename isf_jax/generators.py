"""The one loader of frozen generators: a built-in world's name or a path -> (module, variables).

A path is the project's generator checkpoint (a directory written by `isf-jax-convert
stylegan2` or `stylegan1`; its config.json says which `kind`) or a foreign file read directly:
StyleGAN2 (rosinality `.pt`, stylegan2-ada `.pkl`, TensorFlow `.pkl`) or StyleGAN v1 (NVlabs
TensorFlow `.pkl`, InterFaceGAN `.pth`). A built-in world's name ("faces": the demo world's
trained generator, "statistics": the random-weight fixture; `isf_jax.demo.worlds`) needs no
download. The module is StyleGAN2's or v1's `Generator`; both take the same calls (`map`,
`synthesize`, truncation, noise modes).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from isf_jax import checkpoints

BUILTIN = ("faces", "statistics")  # isf_jax.demo.worlds.WORLDS
FACES_GENERATOR = Path(__file__).parent / "demo" / "assets" / "generator"  # package data
MAKE_COMMAND = "isf-jax-convert stylegan2 SRC OUT"
KINDS = ("stylegan2", "stylegan1")
NOISE_MODES = ("const", "none", "random")  # both kinds' `synthesize(noise_mode=...)`


def is_builtin(spec) -> bool:
  """Whether `spec` names a built-in world rather than a path."""
  return isinstance(spec, str) and spec in BUILTIN


def generator_module(config, dtype=jnp.float32):
  """The Generator module of a StyleGAN2 or v1 config (by `config.kind`)."""
  if config.kind == "stylegan1":
    from isf_jax.stylegan1.networks import Generator
  else:
    from isf_jax.stylegan2.networks import Generator
  return Generator(config, dtype=jnp.dtype(dtype))


def noise_shapes(config) -> list[tuple[int, int]]:
  """[(R, R)] of each noise input, in the order `synthesize(noise=[...])` takes them."""
  if config.kind == "stylegan1":
    from isf_jax.stylegan1.config import noise_resolution
  else:
    from isf_jax.stylegan2.config import noise_resolution
  return [(noise_resolution(i),) * 2 for i in range(config.num_conv_layers)]


def const_noise(config, variables) -> list | None:
  """The generator's fixed noise maps [R, R] in the order of `noise_shapes`; None when its
  variables keep none."""
  first = ("input", "conv1") if config.kind == "stylegan1" else ("conv1",)
  layers = [(4, name) for name in first]
  layers += [(res, name) for res in config.resolutions[1:] for name in ("conv0", "conv1")]
  try:
    blocks = variables["buffers"]["synthesis"]
    return [np.asarray(blocks[f"b{res}"][name]["noise_const"]) for res, name in layers]
  except KeyError:
    return None


def read_generator(spec):
  """(config, variables as numpy arrays) of a built-in world, a checkpoint directory or a
  foreign file."""
  if is_builtin(spec):
    return _builtin_generator(spec)
  path = Path(spec) if spec else None
  if path is None or not path.exists():
    raise FileNotFoundError(
      f"generator checkpoint {str(spec)!r} does not exist; make one with `{MAKE_COMMAND}` "
      f"or use one of the built-in worlds {', '.join(BUILTIN)}"
    )
  if path.is_dir():
    return _read_directory(path)
  return _read_foreign(path)


def _read_directory(path: Path):
  if not checkpoints.is_checkpoint(path):
    raise ValueError(f"{path} is a directory but not a generator checkpoint (no config.json)")
  kind = json.loads((path / checkpoints.CONFIG_FILE).read_text()).get("kind", "stylegan2")
  if kind not in KINDS:
    raise ValueError(f"{path}: unknown generator kind {kind!r} (known: {', '.join(KINDS)})")
  if kind == "stylegan1":
    from isf_jax.stylegan1.checkpoint import read_generator_directory
  else:
    from isf_jax.stylegan2.checkpoint import read_generator_directory
  return read_generator_directory(path)


def _read_foreign(path: Path):
  from isf_jax.formats import safe_pickle, stylegan1, stylegan2

  obj = safe_pickle.load_checkpoint_file(path)
  reader = stylegan1 if stylegan1.is_stylegan1(obj) else stylegan2
  config, variables, _ = reader.read_object(obj)
  return config, variables


@functools.lru_cache(maxsize=len(BUILTIN))
def _builtin_generator(spec):
  if spec == "faces":
    from isf_jax.stylegan2.checkpoint import read_generator_directory

    return read_generator_directory(FACES_GENERATOR)
  from isf_jax.demo.generator import demo_generator

  return demo_generator()  # ~10 s on a small CPU (init + mean W): built once per process


def load_generator(spec, dtype=jnp.float32):
  """(Generator module computing in `dtype`, variables ready for `apply`)."""
  config, variables = read_generator(spec)
  return generator_module(config, dtype), variables
