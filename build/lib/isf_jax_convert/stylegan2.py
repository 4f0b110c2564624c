"""Convert a StyleGAN2 generator to the project's checkpoint format.

  python -m convert.stylegan2 SRC OUT [--overwrite]      (installed: isf-jax-convert stylegan2 ...)

SRC: a rosinality stylegan2-pytorch `.pt`, a stylegan2-ada-pytorch `.pkl` or a TensorFlow
StyleGAN2 `.pkl` (detected from the content; `isf_jax.formats.stylegan2` reads them). OUT is a
directory: orbax variables plus `config.json`, which `isf_jax.load_generator` reads.
"""

from __future__ import annotations

import argparse
import sys

from isf_jax import checkpoints
from isf_jax.formats.stylegan2 import read_generator
from isf_jax.stylegan2.checkpoint import save_generator

from . import cli


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(prog=cli.prog("stylegan2"), description=__doc__.split("\n")[0])
  parser.add_argument("src", help="rosinality .pt, stylegan2-ada-pytorch .pkl or TF StyleGAN2 .pkl")
  parser.add_argument("out", help="output directory (the project's generator checkpoint)")
  parser.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
  parser.add_argument(
    "--mapping-lr-multiplier",
    type=float,
    default=0.01,
    help="rosinality checkpoints do not store lr_mlp (default 0.01, as in its train.py)",
  )
  args = parser.parse_args(argv)

  def convert():
    checkpoints.check_writable(args.out, args.overwrite)
    config, variables, fmt = read_generator(args.src, args.mapping_lr_multiplier)
    save_generator(args.out, config, variables, overwrite=args.overwrite)
    return (
      f"converted {fmt} generator ({config.resolution}px, {config.num_ws} ws, "
      f"{len(config.channels)} blocks, conv_clamp={config.conv_clamp}) -> {args.out}"
    )

  return cli.run(convert)


if __name__ == "__main__":
  sys.exit(main())
