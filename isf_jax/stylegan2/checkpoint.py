"""The project's generator checkpoint: an `isf_jax.checkpoints` directory whose config.json
is the GeneratorConfig. `isf_jax.generators.load_generator` is the loader to use; it reads
these, foreign files and the built-in worlds."""

from __future__ import annotations

from isf_jax import checkpoints
from isf_jax.stylegan2.config import GeneratorConfig


def save_generator(path, config: GeneratorConfig, variables: dict, overwrite: bool = False) -> None:
  checkpoints.save_directory(path, variables, config.to_json(), overwrite=overwrite)


def read_generator_directory(path) -> tuple[GeneratorConfig, dict]:
  config_json, variables = checkpoints.load_directory(path)
  return GeneratorConfig.from_json(config_json), variables
