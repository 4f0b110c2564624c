"""StyleGAN v1 generators in the project's checkpoint layout (`isf_jax.checkpoints`).

The directory is the same as for StyleGAN2; `config.json` carries `"kind": "stylegan1"`.
`isf_jax.load_generator` reads both kinds.
"""

from __future__ import annotations

from isf_jax import checkpoints
from isf_jax.stylegan1.config import GeneratorConfig


def save_generator(path, config: GeneratorConfig, variables: dict, overwrite: bool = False) -> None:
  checkpoints.save_directory(path, variables, config.to_json(), overwrite=overwrite)


def read_generator_directory(path) -> tuple[GeneratorConfig, dict]:
  config_json, variables = checkpoints.load_directory(path)
  return GeneratorConfig.from_json(config_json), variables
