"""The project's generator checkpoint (`isf_jax.checkpoints` layout, GeneratorConfig JSON).

`load_generator` also reads the three foreign formats directly.
"""

from __future__ import annotations

from pathlib import Path

from isf_jax import checkpoints
from isf_jax.stylegan2.config import GeneratorConfig


def save_generator(path, config: GeneratorConfig, variables: dict, overwrite: bool = False) -> None:
  checkpoints.save_directory(path, variables, config.to_json(), overwrite=overwrite)


def load_generator(path) -> tuple[GeneratorConfig, dict]:
  """(config, variables) from a project checkpoint or a rosinality/NVlabs/TF file."""
  path = Path(path)
  if not path.exists():
    raise FileNotFoundError(f"generator checkpoint {path} does not exist")
  if path.is_dir():
    if not checkpoints.is_checkpoint(path):
      raise ValueError(f"{path} is a directory but not a generator checkpoint (no config.json)")
    config_json, variables = checkpoints.load_directory(path)
    try:
      return GeneratorConfig.from_json(config_json), variables
    except ValueError as e:
      raise ValueError(f"{path}: {e}") from None
  from convert.stylegan2 import read_generator

  config, variables, _ = read_generator(path)
  return config, variables
