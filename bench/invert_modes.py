"""Time per image of each inversion mode (isf_jax.invert) against the statistics generator.

  python -m bench.invert_modes [--steps 1000] [--refine-steps 100] [--lpips vgg] [--images 3]
      [--modes encoder,encoder+optimize,optimize]

Photos are statistics-world renders (32 px). Encoders have random weights, as no e4e is
trained for that generator: the narrow one of the tests and one with the released e4e's
widths (IR-SE50, 64-512 channels on 256 px input: the real encoder's cost, with the
statistics generator's W+ [8, 64] heads).
Also times one pass of the released FFHQ e4e's shape (1024 px, W+ [18, 512]) on its own.
The first image of each mode pays compilation; the table gives it apart from the mean of the
others. Prints one JSON object to stdout and a table to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
  sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np


def _encoder(config_kwargs, generator_config, generator_variables):
  from isf_jax import invert
  from isf_jax.encoders import e4e

  config = e4e.E4EConfig(
    resolution=generator_config.resolution, style_dim=generator_config.w_dim, **config_kwargs
  )
  variables = e4e.random_variables(config)
  w_avg = np.asarray(generator_variables["buffers"]["mapping"]["w_avg"])
  latent_avg = np.broadcast_to(w_avg, (config.n_styles, config.style_dim)).astype(np.float32)
  return invert.Encoder(config, {**variables, "buffers": {"latent_avg": latent_avg}})


def _ffhq_encoder_pass(num_images: int) -> dict:
  from isf_jax.encoders import e4e

  config = e4e.E4EConfig()  # the released FFHQ encoder's shape
  encode = e4e.encode_fn(config, e4e.random_variables(config))
  photo = np.zeros((1, 1024, 1024, 3), np.float32)
  seconds = []
  for _ in range(num_images):
    start = time.perf_counter()
    np.asarray(encode(photo))
    seconds.append(time.perf_counter() - start)
  return {"first_s": seconds[0], "per_image_s": float(np.mean(seconds[1:]))}


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--steps", type=int, default=1000, help="projector steps for optimize")
  parser.add_argument("--refine-steps", type=int, default=100, help="for encoder+optimize")
  parser.add_argument("--lpips", default="vgg", choices=("vgg", "alex"))
  parser.add_argument("--images", type=int, default=3, help="at least 2")
  parser.add_argument("--modes", default="all", help="comma-separated subset, e.g. optimize")
  args = parser.parse_args(argv)
  from isf_jax import images, invert
  from isf_jax.generators import read_generator
  from isf_jax.translator import _map_fn, _synthesize_fn

  config, variables = read_generator("statistics")
  seeds = np.random.RandomState(7).randn(args.images, config.z_dim).astype(np.float32)
  wp = _map_fn(config, 0.7, None)(variables, seeds)
  photos = images.to_uint8(np.asarray(_synthesize_fn(config, "const")(variables, wp)))
  photos = photos.astype(np.float32) / 127.5 - 1.0  # [N, 32, 32, 3], as read from PNGs
  narrow = _encoder(dict(stem_channels=16, stage_depths=(16, 16, 32, 32)), config, variables)
  full = _encoder({}, config, variables)
  runs = [
    ("encoder (narrow test encoder)", "encoder", narrow, 0),
    ("encoder (e4e widths)", "encoder", full, 0),
    (f"encoder+optimize ({args.refine_steps} steps)", "encoder+optimize", full, args.refine_steps),
    (f"optimize ({args.steps} steps)", "optimize", None, args.steps),
  ]
  if args.modes != "all":
    runs = [run for run in runs if run[1] in args.modes.split(",")]
  results = {}
  for name, mode, encoder, steps in runs:
    inverted = invert.invert(
      photos, mode, config, variables, encoder, steps=max(steps, 1), lpips_net=args.lpips
    )
    results[name] = {
      "first_s": float(inverted.seconds[0]),
      "per_image_s": float(inverted.seconds[1:].mean()),
      "lpips": float(inverted.lpips.mean()),
      "psnr": float(inverted.psnr.mean()),
    }
    print(f"{name:32s} {json.dumps(results[name])}", file=sys.stderr, flush=True)
  if args.modes == "all" or "encoder" in args.modes.split(","):
    results["e4e FFHQ shape, one pass at 1024 px"] = _ffhq_encoder_pass(args.images)
  print(json.dumps({"lpips": args.lpips, "images": args.images, "modes": results}, indent=2))
  return 0


if __name__ == "__main__":
  sys.exit(main())
