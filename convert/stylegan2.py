"""Convert a StyleGAN2 generator to the project's checkpoint format.

  python -m convert.stylegan2 SRC OUT [--overwrite]      (installed: isf-jax-convert stylegan2 ...)

SRC: a rosinality stylegan2-pytorch `.pt`, a stylegan2-ada-pytorch `.pkl` or a TensorFlow
StyleGAN2 `.pkl` (detected from the content; `isf_jax.formats.stylegan2` reads them). OUT is a
directory: orbax variables plus `config.json`, which `isf_jax.load_generator` reads.
"""

from __future__ import annotations

import sys

from isf_jax.formats.stylegan2 import read_generator
from isf_jax.stylegan2.checkpoint import save_generator

from . import cli


def describe(config) -> str:
  return (
    f"generator ({config.resolution}px, {config.num_ws} ws, {len(config.channels)} blocks, "
    f"conv_clamp={config.conv_clamp})"
  )


def main(argv=None) -> int:
  return cli.generator_main(
    argv,
    "stylegan2",
    __doc__,
    "rosinality .pt, stylegan2-ada-pytorch .pkl or TF StyleGAN2 .pkl",
    "rosinality checkpoints do not store lr_mlp (default 0.01, as in its train.py)",
    read_generator,
    save_generator,
    describe,
  )


if __name__ == "__main__":
  sys.exit(main())
