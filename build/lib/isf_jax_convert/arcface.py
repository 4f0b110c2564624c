"""Convert ArcFace IR-SE50 weights (pSp / TreB1eN `model_ir_se50.pth`) for FRS.

  python -m convert.arcface SRC [OUT] [--overwrite]      (installed: isf-jax-convert arcface ...)

SRC is the PyTorch state dict of `Backbone(112, 50, mode="ir_se")` (read without torch by
`isf_jax.formats.arcface`). OUT defaults to `$ISF_JAX_CACHE/arcface` (or
`~/.cache/isf_jax/arcface`), where `isf_jax.metrics.arcface.load_arcface` looks.
"""

from __future__ import annotations

import sys
from pathlib import Path

from isf_jax.cache import cache_path
from isf_jax.formats.arcface import read_arcface
from isf_jax.metrics.weights import save_network

from . import cli


def main(argv=None) -> int:
  parser = cli.converter_parser(
    "arcface", "Convert ArcFace IR-SE50 weights for FRS.", __doc__, "model_ir_se50.pth"
  )
  args = parser.parse_args(argv)

  def convert():
    out = Path(args.out) if args.out else cache_path("arcface")
    meta = {"network": "arcface", "source": Path(args.src).name}
    save_network(out, read_arcface(args.src), meta, args.overwrite)
    return f"IR-SE50 -> {out}"

  return cli.run(convert)


if __name__ == "__main__":
  sys.exit(main())
