"""Convert NVIDIA's CelebA-HQ attribute classifiers (TF pickles) without TensorFlow.

  python -m convert.attribute_classifier SRC [OUT] [--overwrite]
  (installed: isf-jax-convert attribute_classifier ...)

SRC is a `celebahq-classifier-XX-name.pkl` (NVlabs' StyleGAN metrics), read by
`isf_jax.formats.attribute_classifier` with the allowlist unpickler; anything outside the
supported architecture is refused with a message naming it. OUT defaults to
`$ISF_JAX_CACHE/attribute_classifier/XX-name` (or `~/.cache/isf_jax/...`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from isf_jax.cache import cache_path
from isf_jax.formats.attribute_classifier import FILE_NAME, read_classifier
from isf_jax.metrics.weights import save_network

from . import cli


def default_out(src) -> Path:
  match = FILE_NAME.fullmatch(Path(src).name)
  return cache_path("attribute_classifier", f"{match[1]}-{match[2]}" if match else Path(src).stem)


def main(argv=None) -> int:
  parser = cli.converter_parser(
    "attribute_classifier",
    "Convert a CelebA-HQ attribute classifier pickle.",
    __doc__,
    "celebahq-classifier-XX-name.pkl",
  )
  args = parser.parse_args(argv)

  def convert():
    _, variables, meta = read_classifier(args.src)
    out = Path(args.out) if args.out else default_out(args.src)
    save_network(out, variables, meta, overwrite=args.overwrite)
    return f"attribute classifier -> {out}"

  return cli.run(convert)


if __name__ == "__main__":
  sys.exit(main())
