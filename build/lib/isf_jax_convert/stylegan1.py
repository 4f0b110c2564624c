"""Convert a StyleGAN (v1) generator to the project's checkpoint format.

  python -m convert.stylegan1 SRC OUT [--overwrite]      (installed: isf-jax-convert stylegan1 ...)

SRC is one of (detected from the content, not the name; `isf_jax.formats.stylegan1` reads them):
  * the NVlabs TensorFlow pickle, e.g. karras2019stylegan-ffhq-1024x1024.pkl (`Gs` is used),
    read without TensorFlow;
  * InterFaceGAN's converted state_dict, e.g. stylegan_ffhq.pth.
OUT is a directory: orbax variables plus `config.json` with "kind": "stylegan1", which
`isf_jax.load_generator` reads.
"""

from __future__ import annotations

import argparse
import sys

from isf_jax import checkpoints
from isf_jax.formats.stylegan1 import read_generator
from isf_jax.stylegan1.checkpoint import save_generator

from . import cli


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(prog=cli.prog("stylegan1"), description=__doc__.split("\n")[0])
  parser.add_argument("src", help="NVlabs StyleGAN TF .pkl or InterFaceGAN StyleGAN .pth")
  parser.add_argument("out", help="output directory (the project's generator checkpoint)")
  parser.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
  parser.add_argument(
    "--mapping-lr-multiplier",
    type=float,
    default=0.01,
    help="InterFaceGAN .pth files do not store it (default 0.01, as NVlabs and InterFaceGAN)",
  )
  args = parser.parse_args(argv)

  def convert():
    checkpoints.check_writable(args.out, args.overwrite)
    config, variables, fmt = read_generator(args.src, args.mapping_lr_multiplier)
    save_generator(args.out, config, variables, overwrite=args.overwrite)
    return (
      f"converted {fmt} StyleGAN v1 generator ({config.resolution}px, {config.num_ws} ws, "
      f"fused upsampling from {config.fused_upsample_min_res}) -> {args.out}"
    )

  return cli.run(convert)


if __name__ == "__main__":
  sys.exit(main())
