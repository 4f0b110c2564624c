"""Convert a released e4e checkpoint (e.g. `e4e_ffhq_encode.pt`) to the project's format.

  python -m convert.e4e SRC OUT [--overwrite]      (installed: isf-jax-convert e4e ...)

SRC is omertov/encoder4editing's `{'state_dict': {'encoder.*', 'decoder.*'}, 'opts', 'latent_avg'}`
file, read without torch by `isf_jax.formats.e4e`. OUT is a new directory holding
  OUT/encoder    the Encoder4Editing network (`isf_jax.encoders.e4e.load_encoder`);
  OUT/generator  its rosinality StyleGAN2 decoder (`isf_jax.load_generator`).
Both are written to a temporary sibling first, so a failure leaves nothing at OUT.
"""

from __future__ import annotations

import sys

from isf_jax.encoders.e4e import save_encoder
from isf_jax.files import atomic_directory
from isf_jax.formats.e4e import read_e4e
from isf_jax.stylegan2.checkpoint import save_generator

from . import cli

ENCODER_DIR, GENERATOR_DIR = "encoder", "generator"


def convert_file(src, out, overwrite: bool = False):
  with atomic_directory(out, overwrite) as tmp:
    checkpoint = read_e4e(src)
    save_encoder(tmp / ENCODER_DIR, checkpoint.encoder_config, checkpoint.encoder_variables)
    save_generator(tmp / GENERATOR_DIR, checkpoint.generator_config, checkpoint.generator_variables)
  return out


def main(argv=None) -> int:
  parser = cli.converter_parser(
    "e4e",
    "Convert an e4e checkpoint (encoder and its StyleGAN2 generator).",
    __doc__,
    "e4e checkpoint (.pt), e.g. e4e_ffhq_encode.pt",
  )
  args = parser.parse_args(argv)
  if args.out is None:
    parser.error("OUT is required: the directory to hold encoder/ and generator/")
  return cli.run(lambda: f"e4e -> {convert_file(args.src, args.out, args.overwrite)}")


if __name__ == "__main__":
  sys.exit(main())
