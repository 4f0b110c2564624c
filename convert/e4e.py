"""Convert a released e4e checkpoint (e.g. `e4e_ffhq_encode.pt`) to the project's format.

  python -m convert.e4e SRC OUT [--overwrite]

SRC is omertov/encoder4editing's `{'state_dict': {'encoder.*', 'decoder.*'}, 'opts', 'latent_avg'}`
file, read without torch through the allowlist unpickler. OUT is a new directory holding
  OUT/encoder    the Encoder4Editing network (`isf_jax.encoders.e4e.load_encoder`);
  OUT/generator  its rosinality StyleGAN2 decoder (`isf_jax.stylegan2.checkpoint.load_generator`).
Both are written to a temporary sibling first, so a failure leaves nothing at OUT.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from convert import cli

ENCODER_DIR, GENERATOR_DIR = "encoder", "generator"


def convert_file(src, out, overwrite: bool = False) -> Path:
  from isf_jax import checkpoints
  from isf_jax.encoders.e4e import save_encoder
  from isf_jax.formats.e4e import read_e4e
  from isf_jax.stylegan2.checkpoint import save_generator

  out = Path(out).absolute()
  checkpoints.check_writable(out, overwrite)
  checkpoint = read_e4e(src)
  out.parent.mkdir(parents=True, exist_ok=True)
  tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
  try:
    save_encoder(tmp / ENCODER_DIR, checkpoint.encoder_config, checkpoint.encoder_variables)
    save_generator(tmp / GENERATOR_DIR, checkpoint.generator_config, checkpoint.generator_variables)
    if out.exists():
      shutil.rmtree(out) if out.is_dir() else out.unlink()
    os.replace(tmp, out)
  except BaseException:
    shutil.rmtree(tmp, ignore_errors=True)
    raise
  return out


def main(argv=None) -> int:
  parser = cli.converter_parser(
    "python -m convert.e4e",
    "Convert an e4e checkpoint (encoder and its StyleGAN2 generator).",
    __doc__,
    "e4e checkpoint (.pt), e.g. e4e_ffhq_encode.pt",
  )
  args = parser.parse_args(argv)
  if args.out is None:
    parser.error("OUT is required: the directory to hold encoder/ and generator/")
  return cli.run_conversion(lambda: convert_file(args.src, args.out, args.overwrite), "e4e")


if __name__ == "__main__":
  sys.exit(main())
