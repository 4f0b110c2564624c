"""The one loader of frozen generators: "demo" or a path -> (module, variables).

A path is the project's generator checkpoint (a directory written by `isf-jax-convert
stylegan2` or `isf_jax.stylegan2.checkpoint.save_generator`) or a foreign file that
`isf_jax.formats.stylegan2` reads directly (rosinality `.pt`, stylegan2-ada `.pkl`,
TensorFlow `.pkl`). "demo" is the demo world's generator, made without any download.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jax.numpy as jnp

from isf_jax import checkpoints
from isf_jax.stylegan2.checkpoint import read_generator_directory
from isf_jax.stylegan2.config import GeneratorConfig
from isf_jax.stylegan2.networks import Generator

DEMO = "demo"
MAKE_COMMAND = "isf-jax-convert stylegan2 SRC OUT"


def is_demo(spec) -> bool:
  return spec == DEMO


def read_generator(spec) -> tuple[GeneratorConfig, dict]:
  """(config, variables as numpy arrays) of "demo", a checkpoint directory or a foreign file."""
  if is_demo(spec):
    return _demo_generator()
  path = Path(spec) if spec else None
  if path is None or not path.exists():
    raise FileNotFoundError(
      f"generator checkpoint {str(spec)!r} does not exist; make one with `{MAKE_COMMAND}` "
      f"or use {DEMO!r}"
    )
  if path.is_dir():
    if not checkpoints.is_checkpoint(path):
      raise ValueError(f"{path} is a directory but not a generator checkpoint (no config.json)")
    return read_generator_directory(path)
  from isf_jax.formats.stylegan2 import read_generator as read_foreign

  config, variables, _ = read_foreign(path)
  return config, variables


@functools.lru_cache(maxsize=1)
def _demo_generator() -> tuple[GeneratorConfig, dict]:
  from isf_jax.demo import demo_generator

  return demo_generator()  # ~10 s on a small CPU (init + mean W): built once per process


def load_generator(spec, dtype=jnp.float32) -> tuple[Generator, dict]:
  """(Generator module computing in `dtype`, variables ready for `apply`)."""
  config, variables = read_generator(spec)
  return Generator(config, dtype=jnp.dtype(dtype)), variables
