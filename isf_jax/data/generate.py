"""Generate a latent dataset: sample W+ codes, label them, write resumable chunks, assemble.

  python -m isf_jax.data.generate --out DIR --num-train N --num-test M \\
      --label-fn MODULE:FUNCTION --attributes a,b,c [--thresholds 0.6] [--invert 1,0,0] \\
      [--ckpt demo] [--psi 0.7 --cutoff 8] [--mix-per-code 7] [--image-size 256] \\
      [--data-dir D --name NAME]

Codes are made in chunks of `--chunk-size`; each chunk is a file written atomically under
DIR/chunks and depends only on (seed, split, chunk index), so a killed run resumes where it
stopped and N processes (`--process-index/--process-count`) can share the work. When every
chunk exists, `--data-dir/--name` assembles them into a TFDS dataset (see latents.py).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from isf_jax.cache import enable_compilation_cache
from isf_jax.data.make import assemble, generate_latents, generator_fns
from isf_jax.generators import read_generator


def load_function(spec: str):
  """'package.module:function' -> the function."""
  module, sep, attr = spec.partition(":")
  if not sep or not module or not attr:
    raise ValueError(f"expected MODULE:FUNCTION, got {spec!r}")
  return getattr(importlib.import_module(module), attr)


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(
    prog="python -m isf_jax.data.generate",
    description=__doc__.split("\n")[0],
    formatter_class=argparse.RawDescriptionHelpFormatter,
    epilog=__doc__.split("\n", 2)[2],
  )
  parser.add_argument("--out", required=True, help="work directory for chunks (resumable)")
  parser.add_argument("--num-train", type=int, required=True, help="codes before mixing")
  parser.add_argument("--num-test", type=int, default=0)
  parser.add_argument("--label-fn", required=True, help="MODULE:FUNCTION, images -> probs")
  parser.add_argument("--attributes", required=True, help="comma-separated names, label order")
  parser.add_argument("--thresholds", default="0.5", help="one value or one per attribute")
  parser.add_argument("--invert", default="0", help="0/1, one value or one per attribute")
  parser.add_argument("--ckpt", default="demo", help="generator checkpoint, or 'demo'")
  parser.add_argument("--psi", type=float, default=1.0)
  parser.add_argument("--cutoff", type=int, default=None)
  parser.add_argument("--mix-per-code", type=int, default=0, help="style-mixed variants (train)")
  parser.add_argument("--chunk-size", type=int, default=1000)
  parser.add_argument("--batch-size", type=int, default=32, help="render batch")
  parser.add_argument(
    "--image-size", type=int, default=0, help="also store the renders at this size (e.g. 256)"
  )
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--process-index", type=int, default=0)
  parser.add_argument("--process-count", type=int, default=1)
  parser.add_argument(
    "--data-dir",
    default=None,
    help="assemble the dataset here when done (only with --process-count 1: after a "
    "multi-process run, run once more with 1 process; it finds every chunk made)",
  )
  parser.add_argument("--name", default=None, help="dataset name (with --data-dir)")
  args = parser.parse_args(argv)
  enable_compilation_cache()
  try:
    names = args.attributes.split(",")
    thresholds = [float(t) for t in args.thresholds.split(",")]
    invert = [bool(int(i)) for i in args.invert.split(",")]
    config, variables = read_generator(args.ckpt)
    sample_fn, label_fn = generator_fns(
      config,
      variables,
      load_function(args.label_fn),
      args.psi,
      args.cutoff,
      args.batch_size,
      args.image_size or None,
    )
    for split, num, mix in (
      ("train", args.num_train, args.mix_per_code),
      ("test", args.num_test, 0),
    ):
      if num:
        generate_latents(
          sample_fn,
          label_fn,
          num,
          args.chunk_size,
          args.out,
          args.process_index,
          args.process_count,
          args.seed,
          split=split,
          thresholds=thresholds,
          invert=invert,
          mix_per_code=mix,
        )
    if args.data_dir and args.name and args.process_count == 1:
      path = assemble(args.out, args.data_dir, args.name, names)
      print(f"wrote {path}")
  except (OSError, ValueError, KeyError, ImportError, AttributeError) as e:
    print(f"error: {e}", file=sys.stderr)
    return 1
  return 0


if __name__ == "__main__":
  sys.exit(main())
