"""Measure a faces-world generator with the faces attribute classifiers; draw a labelled grid.

  python -m isf_jax.measure_faces_generator --generator isf_jax/demo/assets/generator \
    [--num 2048] [--psi 1] [--grid docs/images/faces_generator_samples.png] [--json OUT.json]

Prints each attribute's state frequencies over `--num` samples (z from numpy default_rng(--seed)).
"""

from __future__ import annotations

import argparse
import json


def main(argv=None) -> int:
  p = argparse.ArgumentParser(prog="python -m isf_jax.measure_faces_generator", description=__doc__)
  p.add_argument("--generator", required=True, help="a generator checkpoint directory")
  p.add_argument("--classifiers", default=None, help="default: the committed ones")
  p.add_argument("--num", type=int, default=2048)
  p.add_argument("--seed", type=int, default=0)
  p.add_argument("--psi", type=float, default=1.0)
  p.add_argument("--grid", default="", help="write the labelled sample grid (PNG) here")
  p.add_argument("--json", default="", help="write the frequencies (JSON) here")
  args = p.parse_args(argv)

  from isf_jax import images
  from isf_jax.demo import generator_quality
  from isf_jax.generators import read_generator as load_generator

  config, variables = load_generator(args.generator)
  samples, labels, freqs = generator_quality.measure(
    config, variables, args.num, args.seed, args.psi, args.classifiers
  )
  for name, f in freqs.items():
    print(f"{name:16s} present in {100 * f:5.1f}% of {args.num} samples (psi {args.psi})")
  if args.grid:
    images.save_png(args.grid, generator_quality.labelled_grid(samples, labels))
  if args.json:
    with open(args.json, "w") as f:
      json.dump(
        {"num": args.num, "seed": args.seed, "psi": args.psi, "present": freqs}, f, indent=2
      )
  return 0


if __name__ == "__main__":
  raise SystemExit(main())
