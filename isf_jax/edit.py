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
source's labels: `--source-labels 1,0,1,0`, or for the demo world its exact classifier;
otherwise name every attribute. OUT holds one PNG per result, a grid (translate, sample) or
strips and GIFs (interpolate), `latents.npy` and `manifest.json`; it is written under a
temporary name and renamed, so a failed run leaves nothing (a batch with one bad photo too).
The same arguments give the same files.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

from isf_jax import checkpoints, images
from isf_jax.files import atomic_directory
from isf_jax.invert import CONVERT_HINT
from isf_jax.invert import MODES as INVERT_MODES
from isf_jax.seeds import parse_seeds
from isf_jax.translator import Translator, layer_mask

COMMANDS = ("translate", "sample", "interpolate")
# projector steps per mode: the encoder's codes start near the answer
DEFAULT_STEPS = {"optimize": 1000, "encoder": 0, "encoder+optimize": 100}


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


def save_gif(path, frames: np.ndarray, duration_ms: int = 120, min_size: int = 128) -> None:
  """[F, H, W, 3] uint8 -> a looping GIF (frames enlarged by pixel repetition to min_size)."""
  from PIL import Image

  factor = max(1, -(-min_size // frames.shape[1]))
  frames = frames.repeat(factor, axis=1).repeat(factor, axis=2)
  first, *rest = [Image.fromarray(f) for f in frames]
  first.save(path, format="GIF", save_all=True, append_images=rest, duration=duration_ms, loop=0)


def load_inputs(args, translator: Translator, log) -> tuple[np.ndarray, list[dict]]:
  """Source W+ [N, L, C] and a manifest entry per input."""
  if args.seeds is not None:
    seeds = parse_seeds(args.seeds)
    wp = translator.latents_from_seeds(seeds, args.psi, args.cutoff)
    return wp, [{"name": f"seed{s:04d}", "seed": s} for s in seeds]
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
  from isf_jax import invert

  # every photo is read (and aligned) before any is inverted: a bad one fails the run at once
  photos = [invert.read_photo(p, translator.resolution, args.align) for p in args.images]
  for photo in photos:
    if photo.warning:
      log(f"warning: {photo.warning}")
  result = translator.invert(
    np.stack([p.image for p in photos]),
    mode=args.invert,
    steps=DEFAULT_STEPS[args.invert] if args.steps is None else args.steps,
    space=args.invert_space,
    lpips_net=args.invert_lpips,
    progress=True,
  )
  entries = []
  for i, photo in enumerate(photos):
    record = result.record(i)
    quality = f"LPIPS {record['lpips']:.4f}, PSNR {record['psnr']:.2f} dB"
    quality += f", {result.seconds[i]:.1f} s"
    log(f"inverted {photo.path} ({args.invert}): {quality}")
    if args.invert != "optimize":
      record["encoder"] = translator.provenance["encoder"]
    entries.append(
      {
        "name": f"{i:04d}_{Path(photo.path).stem}",  # unique even for equal file names
        "image": photo.path,
        "image_sha256": checkpoints.sha256(photo.path),
        "alignment": photo.alignment,
        "target": images.to_uint8(photo.image),  # the photo as inverted; saved, then dropped
        "inversion": record,
      }
    )
  return result.wp, entries


def run(args, outdir: Path, log) -> dict:
  """Writes every output into `outdir` (a fresh temporary directory); returns the manifest."""
  classifier = None
  if args.invert != "optimize" and args.images and not args.encoder:
    raise ValueError(f"--invert {args.invert} needs --encoder DIR ({CONVERT_HINT})")
  translator = Translator.load(
    generator=args.generator, isf=args.isf, batch_size=args.batch_size, encoder=args.encoder
  )
  targets = parse_targets(args.target)
  translator.target_labels(targets, np.zeros((1, len(translator.attributes))))  # check names
  source_labels = parse_labels(args.source_labels) if args.source_labels else None
  untargeted = [a for a in translator.attributes if a not in targets]
  if source_labels is None and untargeted and translator.provenance["generator"] == "demo":
    from isf_jax.translator import demo_classifier

    classifier = demo_classifier(workdir=Path(args.isf).absolute().parent)
    translator = dataclasses.replace(translator, classifier=classifier)
  layers = args.layers
  mask = layer_mask(layers, targets, translator.num_layers)
  wp, inputs = load_inputs(args, translator, log)
  if source_labels is None and translator.classifier is not None:
    source_labels = translator.classifier(translator.render(wp)).tolist()
  common = dict(seed=args.seed, layers=layers, source_labels=source_labels, progress=True)
  sources = images.to_uint8(translator.render(wp))  # [N, R, R, 3]
  outputs = []

  def save(name, image):
    images.save_png(outdir / name, image)
    outputs.append(name)

  for entry in inputs:
    if "target" in entry:
      save(f"{entry['name']}_input.png", entry.pop("target"))

  if args.command == "interpolate":
    frames = translator.interpolate(wp, targets, args.frames, **common)  # [N, F, L, C]
    rendered = images.to_uint8(translator.render(frames, progress=True))  # [N, F, R, R, 3]
    for entry, strip in zip(inputs, rendered, strict=True):
      save(f"{entry['name']}_strip.png", images.make_grid(strip, columns=len(strip)))
      save_gif(outdir / f"{entry['name']}.gif", strip)
      outputs.append(f"{entry['name']}.gif")
    save("strips.png", images.make_grid(rendered.reshape(-1, *rendered.shape[2:]), args.frames))
    np.save(outdir / "latents.npy", frames)
  else:
    num_samples = args.num_samples
    edited = translator.translate(wp, targets, num_samples, **common)  # [N, S, L, C]
    rendered = images.to_uint8(translator.render(edited, progress=True))  # [N, S, R, R, 3]
    for entry, source, results in zip(inputs, sources, rendered, strict=True):
      save(f"{entry['name']}_source.png", source)
      for k, image in enumerate(results):
        save(f"{entry['name']}_{k}.png", image)
    rows = np.concatenate([sources[:, None], rendered], axis=1)  # source, then the results
    save("grid.png", images.make_grid(rows.reshape(-1, *rows.shape[2:]), num_samples + 1))
    np.save(outdir / "latents.npy", edited)
  outputs.append("latents.npy")
  return {
    "command": args.command,
    "inputs": inputs,
    "targets": targets,
    "attributes": list(translator.attributes),
    "source_labels": source_labels,
    "source_labels_from": "argument"
    if args.source_labels
    else ("classifier" if classifier else None),
    "layers": np.flatnonzero(mask).tolist(),
    "num_samples": args.num_samples if args.command != "interpolate" else 1,
    "frames": args.frames if args.command == "interpolate" else None,
    "seed": args.seed,
    "psi": args.psi if args.seeds is not None else None,
    "cutoff": args.cutoff if args.seeds is not None else None,
    "noise_mode": "const",
    "checkpoint": translator.provenance,
    "outputs": outputs,
  }


def build_parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(
    prog="python -m isf_jax.edit", description=__doc__.split("\n")[0]
  )
  sub = parser.add_subparsers(dest="command", required=True)
  for command in COMMANDS:
    p = sub.add_parser(command)
    p.add_argument("--isf", required=True, help="ISF checkpoint directory")
    p.add_argument(
      "--generator", default=None, help="generator checkpoint or 'demo' (default: the ISF's)"
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
