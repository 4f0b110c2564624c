"""Generate a latent dataset: sample W+ codes, label them, write resumable chunks, assemble.

  python -m isf_jax.data.generate --out DIR --num-train N --num-test M \\
      --label-fn MODULE:FUNCTION --attributes a,b,c [--thresholds 0.6] [--invert 1,0,0] \\
      [--ckpt faces] [--psi 0.7 --cutoff 8] [--mix-per-code 7] [--image-size 256] \\
      [--data-dir D --name NAME]
  python -m isf_jax.data.generate --config configs/ffhq_sg1.py --out DIR --label-fn M:F \\
      [--ckpt CKPT] [--data-dir D]

With `--config FILE[:VARIANT]` every setting not given on the command line comes from the
training config: sizes, psi, cutoff, thresholds, invert and mixing from `config.data.generate`,
the attributes and dataset name from `config.data`, the generator from `config.generator.ckpt`
(e.g. configs/ffhq_sg1.py: the paper's Set1, 80K + 10K codes truncated with psi 0.7 on 8 layers).
Images are rendered with the generator's fixed noise.

Codes are made in chunks of `--chunk-size`; each chunk is a file written atomically under
DIR/chunks and depends only on (seed, split, chunk index), so a killed run resumes where it
stopped and N processes (`--process-index/--process-count`) can share the work. When every
chunk exists, `--data-dir/--name` assembles them into a TFDS dataset (see latents.py).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from pathlib import Path

from isf_jax.cache import enable_compilation_cache
from isf_jax.data.make import assemble, generate_latents, generator_fns
from isf_jax.generators import read_generator


def load_function(spec: str):
  """'package.module:function' -> the function."""
  module, sep, attr = spec.partition(":")
  if not sep or not module or not attr:
    raise ValueError(f"expected MODULE:FUNCTION, got {spec!r}")
  return getattr(importlib.import_module(module), attr)


def load_config(spec: str):
  """'path/to/config.py[:variant]' -> its get_config(variant)."""
  path, _, variant = spec.partition(":")
  if not Path(path).is_file():
    raise FileNotFoundError(f"config file {path!r} does not exist")
  module_spec = importlib.util.spec_from_file_location(Path(path).stem, path)
  module = importlib.util.module_from_spec(module_spec)
  module_spec.loader.exec_module(module)
  return module.get_config(variant)


# command-line name -> where a config keeps its default
CONFIG_DEFAULTS = {
  "num_train": ("data", "generate", "num_train"),
  "num_test": ("data", "generate", "num_test"),
  "psi": ("data", "generate", "psi"),
  "cutoff": ("data", "generate", "cutoff"),
  "mix_per_code": ("data", "generate", "mix_per_code"),
  "thresholds": ("data", "generate", "thresholds"),
  "invert": ("data", "generate", "invert"),
  "attributes": ("data", "attributes"),
  "name": ("data", "name"),
  "ckpt": ("generator", "ckpt"),
}
FALLBACKS = {"num_test": 0, "psi": 1.0, "mix_per_code": 0, "thresholds": "0.5", "invert": "0",
             "ckpt": "faces"}  # fmt: skip


def fill_defaults(args) -> argparse.Namespace:
  """Settings not given on the command line: from --config if given, else the fallbacks."""
  config = load_config(args.config) if args.config else None
  for flag, keys in CONFIG_DEFAULTS.items():
    if getattr(args, flag) is not None:
      continue
    value = config
    for key in keys:
      value = value.get(key) if value is not None else None
    if isinstance(value, (list, tuple)):
      value = ",".join(str(int(v) if isinstance(v, bool) else v) for v in value)
    setattr(args, flag, value if value not in (None, "") else FALLBACKS.get(flag))
  for flag in ("num_train", "attributes"):
    if getattr(args, flag) is None:
      raise ValueError(f"--{flag.replace('_', '-')} is needed (or a --config that sets it)")
  return args


def build_parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(
    prog="python -m isf_jax.data.generate",
    description=__doc__.split("\n")[0],
    formatter_class=argparse.RawDescriptionHelpFormatter,
    epilog=__doc__.split("\n", 2)[2],
  )
  parser.add_argument("--out", required=True, help="work directory for chunks (resumable)")
  parser.add_argument("--config", default=None, help="training config FILE[:VARIANT] (defaults)")
  parser.add_argument("--num-train", type=int, default=None, help="codes before mixing")
  parser.add_argument("--num-test", type=int, default=None)
  parser.add_argument("--label-fn", required=True, help="MODULE:FUNCTION, images -> probs")
  parser.add_argument("--attributes", default=None, help="comma-separated names, label order")
  parser.add_argument("--thresholds", default=None, help="one value or one per attribute (0.5)")
  parser.add_argument("--invert", default=None, help="0/1, one value or one per attribute (0)")
  parser.add_argument(
    "--ckpt", default=None, help="generator checkpoint or built-in world (default: faces)"
  )
  parser.add_argument("--psi", type=float, default=None, help="truncation psi (1: none)")
  parser.add_argument("--cutoff", type=int, default=None, help="truncate W+ layers below this")
  parser.add_argument("--mix-per-code", type=int, default=None, help="style-mixed variants")
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
  return parser


def main(argv=None) -> int:
  args = build_parser().parse_args(argv)
  enable_compilation_cache()
  try:
    args = fill_defaults(args)
    run(args)
  except (OSError, ValueError, KeyError, ImportError, AttributeError) as e:
    print(f"error: {e}", file=sys.stderr)
    return 1
  return 0


def run(args) -> None:
  """Generate this process's chunks of both splits, then assemble when asked (one process)."""
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


if __name__ == "__main__":
  sys.exit(main())
