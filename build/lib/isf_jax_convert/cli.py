"""The command line shared by the converters: program names, `SRC [OUT] [--overwrite]`, and
one `error:` line with exit status 1 for a bad input."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from isf_jax.formats import safe_pickle

# What a bad input raises: each becomes one `error:` line, never a traceback.
INPUT_ERRORS = (OSError, ValueError, KeyError, safe_pickle.UnsafePickleError)


def prog(name: str) -> str:
  """`python -m convert.NAME` from a checkout, `isf-jax-convert NAME` when installed."""
  package = __name__.rpartition(".")[0]
  return f"python -m convert.{name}" if package == "convert" else f"isf-jax-convert {name}"


def converter_parser(name: str, description: str, epilog: str, src_help: str):
  parser = argparse.ArgumentParser(
    prog=prog(name),
    description=description,
    formatter_class=argparse.RawDescriptionHelpFormatter,
    epilog=epilog,
  )
  parser.add_argument("src", help=src_help)
  parser.add_argument("out", nargs="?", help="output directory (default: the cache)")
  parser.add_argument("--overwrite", action="store_true")
  return parser


def run(convert: Callable[[], str], errors: tuple = ()) -> int:
  """Runs `convert`, which returns the line to print; a bad input is one `error:` line, 1."""
  try:
    message = convert()
  except INPUT_ERRORS + errors as e:
    print(f"error: {e}", file=sys.stderr)
    return 1
  print(message, file=sys.stderr)
  return 0
