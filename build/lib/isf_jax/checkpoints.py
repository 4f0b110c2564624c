"""The project's directory format for frozen networks: orbax `variables/` and a `config.json`.

Written through `files.atomic_directory`, so an interrupted write leaves nothing at the
destination.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import jax
import numpy as np

from isf_jax.files import atomic_directory, check_writable

CONFIG_FILE = "config.json"
VARIABLES_DIR = "variables"

__all__ = ["check_writable", "is_checkpoint", "load_directory", "save_directory", "sha256"]


def is_checkpoint(path) -> bool:
  return (Path(path) / CONFIG_FILE).is_file()


def save_directory(path, variables: dict, config_json: str, overwrite: bool = False) -> None:
  import orbax.checkpoint as ocp

  with atomic_directory(path, overwrite) as tmp:
    with ocp.StandardCheckpointer() as ckptr:
      ckptr.save(tmp / VARIABLES_DIR, jax.tree.map(np.asarray, variables))
    (tmp / CONFIG_FILE).write_text(config_json)


def load_directory(path) -> tuple[str, dict]:
  """(config JSON text, variables as numpy arrays)."""
  import orbax.checkpoint as ocp

  path = Path(path).absolute()
  with ocp.StandardCheckpointer() as ckptr:
    variables = ckptr.restore(path / VARIABLES_DIR)
  return (path / CONFIG_FILE).read_text(), jax.tree.map(np.asarray, variables)


def sha256(path) -> str:
  """Of a file's bytes, or of a checkpoint directory's config.json and every file under
  variables/ (names included)."""
  path = Path(path)
  digest = hashlib.sha256()
  if path.is_file():
    digest.update(path.read_bytes())
    return digest.hexdigest()
  files = [path / CONFIG_FILE]
  files += sorted(p for p in (path / VARIABLES_DIR).rglob("*") if p.is_file())
  for file in files:
    digest.update(str(file.relative_to(path)).encode())
    digest.update(file.read_bytes())
  return digest.hexdigest()
