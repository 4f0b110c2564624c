"""Atomic file writes: readers never see a partial file, a failed write leaves nothing."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_open(path, mode: str = "wb", suffix: str = ""):
  """A file object whose content appears at `path` only when the block ends without error:
  it is a temporary sibling, renamed into place (suffix: e.g. ".npz" for writers that care)."""
  path = Path(path)
  path.parent.mkdir(parents=True, exist_ok=True)
  fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
  try:
    with os.fdopen(fd, mode) as f:
      yield f
    os.replace(tmp, path)
  except BaseException:
    os.unlink(tmp)
    raise
