"""Convert an official ISF-GAN checkpoint (yhlleo/stylegan-mmuit) to the project's format.

  python -m convert.isf SRC OUT [--residual] [--num-domains K] [--attributes a,b,...] [--overwrite]
  (installed: isf-jax-convert isf ...)

SRC is `{step:06d}_nets_ema.ckpt` (use this one for editing: the EMA ISF) or
`{step:06d}_nets.ckpt`: a torch.save dict with `mapnet` and optionally `discriminator`
state dicts (`isf_jax.formats.isf` reads it). The architecture is read off the weights;
`use_residual` is not visible in them (off in the official scripts), hence `--residual`.
OUT is the directory `isf_jax.load_isf` reads (`isf_jax.isf_checkpoint`).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from isf_jax import checkpoints
from isf_jax.isf_checkpoint import read_isf, save_isf

from . import cli


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(prog=cli.prog("isf"), description=__doc__.split("\n")[0])
  parser.add_argument("src", help="{step}_nets_ema.ckpt or {step}_nets.ckpt")
  parser.add_argument("out", help="output directory")
  parser.add_argument(
    "--residual", action="store_true", help="the ISF was trained with use_residual=1"
  )
  parser.add_argument("--num-domains", type=int, help="needed only without a discriminator")
  parser.add_argument(
    "--attributes", help="names of the label slots, comma-separated (official FFHQ order if unset)"
  )
  parser.add_argument("--overwrite", action="store_true")
  args = parser.parse_args(argv)

  def convert():
    checkpoints.check_writable(args.out, args.overwrite)
    info, params = read_isf(args.src, args.residual, args.num_domains)
    if args.attributes:
      names = tuple(args.attributes.split(","))
      if len(names) != info.num_domains:
        raise ValueError(f"--attributes names {len(names)} slots, the ISF has {info.num_domains}")
      info = dataclasses.replace(info, attributes=names)
    save_isf(args.out, info, params["isf"], params.get("discriminator"), args.overwrite)
    return f"converted ISF ({info.isf}, noise {info.noise_dim}, w {info.w_dim}) -> {args.out}"

  return cli.run(convert)


if __name__ == "__main__":
  sys.exit(main())
