"""Render images from a StyleGAN2 or StyleGAN v1 generator.

  python -m isf_jax.generate --ckpt CKPT --seeds 0-15 --psi 0.7 --out grid.png [--outdir DIR]

CKPT is a converted generator (directory), a rosinality/NVlabs/TF checkpoint file, or
a built-in world: `faces` (the demo world's trained generator) or `statistics` (a
deterministic random-weight generator). The latent of seed s is
`numpy.random.RandomState(s).randn(1, z_dim)`, as in NVlabs' generate.py, so the same seeds
give the same images there and here.
"""

from __future__ import annotations

import argparse
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from isf_jax import figures, images
from isf_jax.cache import enable_compilation_cache
from isf_jax.generators import NOISE_MODES, load_generator
from isf_jax.seeds import parse_seeds, seed_latents


def render(model, variables, z, *, psi, cutoff, noise_mode, batch_size, seed=0):
  """Images for all z in batches of `batch_size`, with a progress bar. [N, R, R, C] uint8."""

  @jax.jit
  def run(z, key):
    return model.apply(variables, z, psi=psi, cutoff=cutoff, noise_mode=noise_mode, rng=key)

  out = []
  with tqdm(total=len(z), unit="img", desc="render", file=sys.stderr) as bar:
    for start in range(0, len(z), batch_size):
      chunk = z[start : start + batch_size]
      key = jax.random.fold_in(jax.random.key(seed), start)
      out.append(images.to_uint8(run(jnp.asarray(chunk), key)))
      bar.update(len(chunk))
  return np.concatenate(out)


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(
    prog="python -m isf_jax.generate", description=__doc__.split("\n")[1]
  )
  parser.add_argument(
    "--ckpt", required=True, help="generator checkpoint, or a built-in world: faces, statistics"
  )
  parser.add_argument("--seeds", default="0-15", help="e.g. 0-15 or 1,5,9 (default 0-15)")
  parser.add_argument("--psi", type=float, default=1.0, help="truncation psi (default 1: none)")
  parser.add_argument("--cutoff", type=int, default=None, help="truncate only W+ layers below this")
  parser.add_argument("--noise-mode", default="const", choices=NOISE_MODES)
  parser.add_argument("--batch-size", type=int, default=8)
  parser.add_argument("--columns", type=int, default=None, help="grid columns (default: square)")
  parser.add_argument("--out", required=True, help="grid PNG path")
  parser.add_argument("--outdir", default=None, help="also write one PNG per seed here")
  args = parser.parse_args(argv)
  enable_compilation_cache()
  try:
    seeds = parse_seeds(args.seeds)
    if args.batch_size < 1:
      raise ValueError("--batch-size must be at least 1")
    model, variables = load_generator(args.ckpt)
    config = model.config
    start = time.time()
    rendered = render(
      model,
      variables,
      seed_latents(seeds, config.z_dim),
      psi=args.psi,
      cutoff=args.cutoff,
      noise_mode=args.noise_mode,
      batch_size=args.batch_size,
    )
    title = f"{args.ckpt}: psi {args.psi}, noise {args.noise_mode}"
    captions = [f"seed {seed}" for seed in seeds]
    images.save_png(args.out, figures.captioned_tiles(rendered, captions, args.columns, title))
    if args.outdir:
      for seed, image in zip(seeds, rendered, strict=True):
        images.save_png(f"{args.outdir}/seed{seed:04d}.png", image)
  except (OSError, ValueError, KeyError) as e:
    print(f"error: {e}", file=sys.stderr)
    return 1
  print(
    f"wrote {args.out} ({len(seeds)} images, {config.resolution}px, {time.time() - start:.1f}s)"
  )
  return 0


if __name__ == "__main__":
  sys.exit(main())
