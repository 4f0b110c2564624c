"""Convert InceptionV3 weights (PyTorch state dicts) for FID.

  python -m convert.inception SRC [OUT] [--variant pytorch_fid|torchvision] [--overwrite]
  (installed: isf-jax-convert inception ...)

SRC: pytorch-fid's `pt_inception-2015-12-05-6726825d.pth` (variant "pytorch_fid") or
torchvision's `inception_v3_google-0cc3c7bd.pth` (variant "torchvision", the official ISF-GAN
FID network). Without --variant it is read from the classifier size (1008 classes:
pytorch-fid, 1000: torchvision). OUT defaults to `$ISF_JAX_CACHE/inception/{variant}` (or
`~/.cache/isf_jax/inception/{variant}`), where `isf_jax.metrics.inception.load_inception`
looks. The file is read without torch by `isf_jax.formats.inception`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from isf_jax.cache import cache_path
from isf_jax.formats.inception import read_inception
from isf_jax.metrics.inception import VARIANTS
from isf_jax.metrics.weights import save_network

from . import cli


def main(argv=None) -> int:
  parser = cli.converter_parser(
    "inception",
    "Convert InceptionV3 weights for FID.",
    __doc__,
    "pytorch-fid or torchvision InceptionV3 .pth",
  )
  parser.add_argument("--variant", choices=VARIANTS, help="default: detected from the file")
  args = parser.parse_args(argv)

  def convert():
    variant, variables = read_inception(args.src, args.variant)
    out = Path(args.out) if args.out else cache_path("inception", variant)
    meta = {"network": "inception", "variant": variant, "source": Path(args.src).name}
    save_network(out, variables, meta, overwrite=args.overwrite)
    return f"InceptionV3 -> {out}"

  return cli.run(convert)


if __name__ == "__main__":
  sys.exit(main())
