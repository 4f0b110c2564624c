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


def generator_main(argv, name: str, doc: str, src_help: str, lr_help: str, read, save, describe):
  """The generator converters' command: SRC OUT [--overwrite] [--mapping-lr-multiplier]."""
  parser = argparse.ArgumentParser(prog=prog(name), description=doc.split("\n")[0])
  parser.add_argument("src", help=src_help)
  parser.add_argument("out", help="output directory (the project's generator checkpoint)")
  parser.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
  parser.add_argument("--mapping-lr-multiplier", type=float, default=0.01, help=lr_help)
  args = parser.parse_args(argv)

  def convert():
    from isf_jax.files import check_writable

    check_writable(args.out, args.overwrite)
    config, variables, fmt = read(args.src, args.mapping_lr_multiplier)
    save(args.out, config, variables, overwrite=args.overwrite)
    return f"converted {fmt} {describe(config)} -> {args.out}"

  return run(convert)
