"""Atomic writes: readers never see a partial file or directory, a failed write leaves
nothing, and what appears has the permissions the user's umask asks for (not the 0600/0700
of temporary files)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path


def _umask() -> int:
  mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
  os.umask(mask)
  return mask


def check_writable(path, overwrite: bool) -> None:
  path = Path(path)
  if path.exists() and not overwrite:
    raise FileExistsError(f"{path} exists (pass --overwrite to replace it)")


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
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, path)
  except BaseException:
    os.unlink(tmp)
    raise


@contextlib.contextmanager
def atomic_directory(path, overwrite: bool = False):
  """Yields a temporary sibling directory to fill; when the block ends without error it
  replaces `path` (FileExistsError up front if `path` exists and not `overwrite`)."""
  path = Path(path).absolute()
  check_writable(path, overwrite)
  made = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
  path.parent.mkdir(parents=True, exist_ok=True)
  tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
  try:
    yield tmp
    os.chmod(tmp, 0o777 & ~_umask())
    if path.exists():
      shutil.rmtree(path) if path.is_dir() else path.unlink()
    os.replace(tmp, path)
  except BaseException:
    shutil.rmtree(tmp, ignore_errors=True)
    for parent in made:  # the folders made for it, innermost first, if still empty
      with contextlib.suppress(OSError):
        parent.rmdir()
    raise
