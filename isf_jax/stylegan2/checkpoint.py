"""The project's generator checkpoint: a directory with orbax variables and config.json.

Written to a temporary sibling and renamed, so an interrupted write leaves nothing at
the destination. `load_generator` also reads the three foreign formats directly.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import jax
import numpy as np

from isf_jax.stylegan2.config import GeneratorConfig

CONFIG_FILE = "config.json"
VARIABLES_DIR = "variables"


def check_writable(path, overwrite: bool) -> None:
  path = Path(path)
  if path.exists() and not overwrite:
    raise FileExistsError(f"{path} exists (pass --overwrite to replace it)")
  if not path.absolute().parent.is_dir():
    raise FileNotFoundError(f"parent directory of {path} does not exist")


def save_generator(path, config: GeneratorConfig, variables: dict, overwrite: bool = False) -> None:
  import orbax.checkpoint as ocp

  path = Path(path).absolute()
  check_writable(path, overwrite)
  tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
  try:
    with ocp.StandardCheckpointer() as ckptr:
      ckptr.save(tmp / VARIABLES_DIR, jax.tree.map(np.asarray, variables))
    (tmp / CONFIG_FILE).write_text(config.to_json())
    if path.exists():
      shutil.rmtree(path) if path.is_dir() else path.unlink()
    os.replace(tmp, path)
  except BaseException:
    shutil.rmtree(tmp, ignore_errors=True)
    raise


def is_project_checkpoint(path) -> bool:
  return (Path(path) / CONFIG_FILE).is_file()


def load_generator(path) -> tuple[GeneratorConfig, dict]:
  """(config, variables) from a project checkpoint or a rosinality/NVlabs/TF file."""
  path = Path(path)
  if not path.exists():
    raise FileNotFoundError(f"generator checkpoint {path} does not exist")
  if path.is_dir():
    if not is_project_checkpoint(path):
      raise ValueError(f"{path} is a directory but not a generator checkpoint (no {CONFIG_FILE})")
    import orbax.checkpoint as ocp

    config = GeneratorConfig.from_json((path / CONFIG_FILE).read_text())
    with ocp.StandardCheckpointer() as ckptr:
      variables = ckptr.restore(path.absolute() / VARIABLES_DIR)
    return config, jax.tree.map(np.asarray, variables)
  from convert.stylegan2 import read_generator

  config, variables, _ = read_generator(path)
  return config, variables
