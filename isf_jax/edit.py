"""Edit images with a trained ISF: translate, sample modes, interpolate.

  python -m isf_jax.edit translate --isf DIR --seeds 0-7 --target gender=1,expression=0 --outdir OUT
  python -m isf_jax.edit sample --isf DIR --latents wp.npy --target age=1 --num-samples 8 ...
  python -m isf_jax.edit interpolate --isf DIR --images a.png --target glasses=1 --frames 8 ...
  python -m isf_jax.edit translate --isf DIR --images me.jpg --align --invert encoder \
      --encoder ckpts/e4e/encoder --target age=1 --outdir OUT

Inputs: `--seeds` (z = RandomState(seed).randn(z_dim), mapped with --psi/--cutoff, as
isf_jax.generate), `--latents` (.npy, W [N, C] or W+ [N, L, C]) or `--images`: photos, FFHQ-
aligned with `--align` (else centre-cropped and resized, with a warning), then inverted by
`--invert optimize` (the projector, `--steps`), `encoder` (one pass of the e4e encoder given
by `--encoder DIR`) or `encoder+optimize` (isf_jax.invert); the manifest records each photo's
alignment and its reconstruction's LPIPS and PSNR. Attributes not in --target keep the
source's labels: `--source-labels 1,0,1,0`, or in a built-in world its classifier;
otherwise name every attribute. OUT holds one PNG per result, a grid (translate, sample) or
strips and GIFs (interpolate), `latents.npy` and `manifest.json`; it is written under a
temporary name and renamed, so a failed run leaves nothing (a batch with one bad photo too).
The same arguments give the same files.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from isf_jax import editor
from isf_jax.cache import enable_compilation_cache
from isf_jax.files import atomic_directory
from isf_jax.invert import CONVERT_HINT
from isf_jax.invert import MODES as INVERT_MODES
from isf_jax.layers import layer_mask
from isf_jax.seeds import parse_seeds
from isf_jax.translator import Translator

COMMANDS = editor.COMMANDS
DEFAULT_STEPS = editor.DEFAULT_STEPS


def parse_targets(text: str) -> dict[str, int]:
  """'gender=1,expression=0' -> {"gender": 1, "expression": 0}."""
  targets = {}
  for part in text.split(","):
    name, sep, value = part.strip().partition("=")
    if not sep or not name or value.strip() not in ("0", "1"):
      raise ValueError(f"bad target {part!r}: use NAME=0 or NAME=1, e.g. gender=1,expression=0")
    targets[name.strip()] = int(value)
  return targets


def parse_labels(text: str) -> list[int]:
  values = [v.strip() for v in text.split(",")]
  if not all(v in ("0", "1") for v in values):
    raise ValueError(f"bad --source-labels {text!r}: comma-separated 0/1, one per attribute")
  return [int(v) for v in values]


def load_inputs(args, translator: Translator, log) -> tuple[np.ndarray, list[dict]]:
  """Source W+ [N, L, C] and a manifest entry per input."""
  if args.seeds is not None:
    return editor.seed_inputs(translator, parse_seeds(args.seeds), args.psi, args.cutoff)
  if args.latents is not None:
    try:
      latents = np.load(args.latents, allow_pickle=False)
    except (OSError, ValueError) as e:
      raise ValueError(f"cannot read latents {args.latents}: {e}") from None
    latents = latents.reshape(-1, *latents.shape[2:]) if latents.ndim == 4 else latents
    wp = translator.as_wp(latents)  # checks [N, C] / [N, L, C] against the generator
    entries = [
      {"name": f"latent{i:04d}", "latents": str(args.latents), "index": i} for i in range(len(wp))
    ]
    return wp, entries
  return editor.photo_inputs(
    translator,
    args.images,
    align=args.align,
    mode=args.invert,
    steps=args.steps,
    space=args.invert_space,
    lpips_net=args.invert_lpips,
    log=log,
  )


def run(args, outdir: Path, log) -> dict:
  """Writes every output into `outdir` (a fresh temporary directory); returns the manifest."""
  if args.invert != "optimize" and args.images and not args.encoder:
    raise ValueError(f"--invert {args.invert} needs --encoder DIR ({CONVERT_HINT})")
  translator = Translator.load(
    generator=args.generator, isf=args.isf, batch_size=args.batch_size, encoder=args.encoder
  )
  targets = parse_targets(args.target)
  translator.target_labels(targets, np.zeros((1, len(translator.attributes))))  # check names
  source_labels = tuple(parse_labels(args.source_labels)) if args.source_labels else None
  seeded = args.seeds is not None
  request = editor.EditRequest(
    args.command,
    targets,
    source_labels,
    args.layers,
    args.seed,
    args.num_samples,
    args.frames or 8,
    psi=args.psi if seeded else None,
    cutoff=args.cutoff if seeded else None,
  )
  kind = translator.generator_config.kind
  layer_mask(args.layers, targets, translator.num_layers, kind)  # bad layers fail early
  translator = editor.with_source_classifier(translator, targets, source_labels, args.isf)
  wp, inputs = load_inputs(args, translator, log)
  return editor.write_outputs(translator, request, wp, inputs, outdir, progress=True).manifest


def build_parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(
    prog="python -m isf_jax.edit", description=__doc__.split("\n")[0]
  )
  sub = parser.add_subparsers(dest="command", required=True)
  for command in COMMANDS:
    p = sub.add_parser(command)
    p.add_argument("--isf", required=True, help="ISF checkpoint directory")
    p.add_argument(
      "--generator",
      default=None,
      help="generator checkpoint or built-in world (default: the ISF's)",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--seeds", help="e.g. 0-7 or 1,5,9")
    source.add_argument("--latents", help=".npy with W [N, C] or W+ [N, L, C]")
    source.add_argument("--images", nargs="+", help="photos to invert first (see --align)")
    p.add_argument("--target", required=True, help="e.g. gender=1,expression=0")
    p.add_argument("--source-labels", default=None, help="e.g. 1,0,0,1: the sources' labels")
    p.add_argument("--layers", default=None, help="'preset' (official ranges) or e.g. 4-7")
    p.add_argument("--seed", type=int, default=0, help="ISF noise seed (default 0)")
    p.add_argument("--psi", type=float, default=0.7, help="truncation of --seeds (default 0.7)")
    p.add_argument("--cutoff", type=int, default=None, help="truncate only W+ layers below this")
    p.add_argument(
      "--align", action="store_true", help="FFHQ-align --images first (face photos; needs dlib)"
    )
    p.add_argument(
      "--invert",
      default="optimize",
      choices=INVERT_MODES,
      help="how --images become codes: the projector, one e4e encoder pass, or both",
    )
    p.add_argument("--encoder", default=None, help="converted e4e encoder directory")
    p.add_argument(
      "--steps",
      "--invert-steps",
      type=int,
      default=None,
      help=f"projector steps (default {DEFAULT_STEPS['optimize']}; after the encoder "
      f"{DEFAULT_STEPS['encoder+optimize']})",
    )
    p.add_argument(
      "--invert-space", default=None, choices=("w", "wp"), help="projector space (default w)"
    )
    p.add_argument(
      "--invert-lpips", default="vgg", choices=("vgg", "alex"), help="projector distance"
    )
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--outdir", required=True)
    p.add_argument("--overwrite", action="store_true")
    if command == "interpolate":
      p.add_argument("--frames", type=int, default=8, help="frames per strip, both ends included")
    else:
      default = 1 if command == "translate" else 8
      p.add_argument("--num-samples", type=int, default=default, help="results per input")
  return parser


def main(argv=None) -> int:
  args = build_parser().parse_args(argv)
  enable_compilation_cache()
  if args.command == "interpolate":
    args.num_samples = 1
  else:
    args.frames = None
  log = lambda message: print(message, file=sys.stderr)  # noqa: E731
  outdir = Path(args.outdir).absolute()
  try:
    if args.batch_size < 1 or args.num_samples < 1 or (args.frames is not None and args.frames < 2):
      raise ValueError("--batch-size and --num-samples must be at least 1, --frames at least 2")
    start = time.time()
    with atomic_directory(outdir, args.overwrite) as tmp:
      manifest = run(args, tmp, log)
      (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
  except (OSError, ValueError, KeyError, ImportError) as e:  # ImportError: align's FaceToolsError
    print(f"error: {str(e).splitlines()[0] if str(e) else type(e).__name__}", file=sys.stderr)
    return 1
  log(f"wrote {outdir} ({len(manifest['outputs'])} files, {time.time() - start:.1f}s)")
  return 0


if __name__ == "__main__":
  sys.exit(main())
