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

import sys

from isf_jax.formats.stylegan1 import read_generator
from isf_jax.stylegan1.checkpoint import save_generator

from . import cli


def describe(config) -> str:
  return (
    f"StyleGAN v1 generator ({config.resolution}px, {config.num_ws} ws, "
    f"fused upsampling from {config.fused_upsample_min_res})"
  )


def main(argv=None) -> int:
  return cli.generator_main(
    argv,
    "stylegan1",
    __doc__,
    "NVlabs StyleGAN TF .pkl or InterFaceGAN StyleGAN .pth",
    "InterFaceGAN .pth files do not store it (default 0.01, as NVlabs and InterFaceGAN)",
    read_generator,
    save_generator,
    describe,
  )


if __name__ == "__main__":
  sys.exit(main())
