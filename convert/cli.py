"""The command line shared by the metric-network converters: `SRC [OUT] [--overwrite]`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from convert import safe_pickle


def converter_parser(prog: str, description: str, epilog: str, src_help: str):
  parser = argparse.ArgumentParser(
    prog=prog,
    description=description,
    formatter_class=argparse.RawDescriptionHelpFormatter,
    epilog=epilog,
  )
  parser.add_argument("src", help=src_help)
  parser.add_argument("out", nargs="?", help="output directory (default: the cache)")
  parser.add_argument("--overwrite", action="store_true")
  return parser


def run_conversion(convert: Callable[[], Path], label: str) -> int:
  """Runs `convert`; a bad input is one `error:` line and exit status 1."""
  try:
    out = convert()
  except (OSError, ValueError, KeyError, safe_pickle.UnsafePickleError) as e:
    print(f"error: {e}", file=sys.stderr)
    return 1
  print(f"{label} -> {out}", file=sys.stderr)
  return 0
