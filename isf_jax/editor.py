"""Edit requests -> files: what `python -m isf_jax.edit` and the web editor (`isf_jax.app`)
both compute, so that a request made in the page writes exactly the files and manifest the
command writes for the same arguments.

  translator = with_source_classifier(translator, targets, source_labels, isf)
  wp, inputs = seed_inputs(translator, [3], psi=0.7)
  result = write_outputs(translator, EditRequest("sample", {"bright": 1}, num_samples=4), wp,
                         inputs, outdir)  # PNGs, latents.npy; result.manifest -> manifest.json

A manifest entry per input names it (`name`: the file prefix); an entry may carry `target`,
the photo as inverted (uint8 [R, R, 3]), which is saved as NAME_input.png and dropped.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from isf_jax import figures, images
from isf_jax.layers import layer_mask
from isf_jax.translator import Translator

COMMANDS = ("translate", "sample", "interpolate")
# projector steps per inversion mode: the encoder's codes start near the answer
DEFAULT_STEPS = {"optimize": 1000, "encoder": 0, "encoder+optimize": 100}


@dataclasses.dataclass(frozen=True)
class EditRequest:
  """One edit of every input: the command-line arguments of `isf_jax.edit` that are not
  about where inputs come from."""

  command: str  # one of COMMANDS
  targets: dict  # {attribute: 0 or 1}
  source_labels: tuple[int, ...] | None = None  # [K]; None: the classifier's, if one is needed
  layers: str | None = None  # None (all), "preset" or e.g. "4-7"
  seed: int = 0  # ISF noise seed
  num_samples: int = 1  # results per input (translate, sample)
  frames: int = 8  # frames per strip (interpolate)
  psi: float | None = None  # truncation of seed inputs (recorded in the manifest)
  cutoff: int | None = None

  def __post_init__(self):
    if self.command not in COMMANDS:
      raise ValueError(f"command must be one of {COMMANDS}, got {self.command!r}")
    if self.num_samples < 1 or (self.command == "interpolate" and self.frames < 2):
      raise ValueError("the number of samples must be at least 1, of frames at least 2")


@dataclasses.dataclass(frozen=True)
class EditResult:
  manifest: dict  # what manifest.json holds
  sources: np.ndarray  # uint8 [N, R, R, 3]: the unedited inputs
  results: np.ndarray  # uint8 [N, S, R, R, 3] samples, or [N, F, R, R, 3] interpolation frames
  source_labels: np.ndarray | None  # [N, K] the labels the targets were laid over


def with_source_classifier(translator: Translator, targets, source_labels, isf) -> Translator:
  """The translator with its built-in world's classifier when the sources' labels of
  attributes not in `targets` are needed and not given (the ISF at `isf` trained in a run
  whose dataset sits beside it)."""
  untargeted = [a for a in translator.attributes if a not in targets]
  if source_labels is not None or not untargeted or translator.classifier is not None:
    return translator
  from isf_jax.demo.dataset import data_dir
  from isf_jax.demo.worlds import world

  builtin = world(translator.provenance["generator"])
  if builtin is None:
    return translator
  classifier = builtin.classifier(data_dir(Path(isf).absolute().parent))
  return dataclasses.replace(translator, classifier=classifier)


def seed_inputs(translator: Translator, seeds, psi: float, cutoff: int | None = None):
  """Source W+ [N, L, C] of seeds (NVlabs' z convention) and a manifest entry per seed."""
  wp = translator.latents_from_seeds(seeds, psi, cutoff)
  return wp, [{"name": f"seed{s:04d}", "seed": s} for s in seeds]


def read_source_labels(translator: Translator, request: EditRequest, wp) -> np.ndarray | None:
  """[N, K]: the request's, else the classifier's when an attribute is kept, else None."""
  if request.source_labels is not None:
    return translator.source_labels_for(wp, request.targets, list(request.source_labels))
  kept = [a for a in translator.attributes if a not in request.targets]
  if kept and translator.classifier is not None:
    return np.asarray(translator.classifier(translator.render(wp)), np.float32)
  return None


def write_outputs(
  translator: Translator, request: EditRequest, wp, inputs: list[dict], outdir, progress=False
) -> EditResult:
  """Edit W+ [N, L, C] and write every output of `request` into the existing `outdir`."""
  outdir = Path(outdir)
  mask = layer_mask(
    request.layers, request.targets, translator.num_layers, translator.generator_config.kind
  )
  labels = read_source_labels(translator, request, wp)
  label_list = labels.astype(int).tolist() if labels is not None else None
  if request.source_labels is not None:
    label_list = list(request.source_labels)  # as given (one row for every input)
  common = dict(seed=request.seed, layers=request.layers, source_labels=labels, progress=progress)
  sources = images.to_uint8(translator.render(wp))  # [N, R, R, 3]
  outputs = []

  def save(name, image):
    images.save_png(outdir / name, image)
    outputs.append(name)

  for entry in inputs:
    if "target" in entry:
      save(f"{entry['name']}_input.png", entry.pop("target"))
  names = [entry["name"] for entry in inputs]
  if request.command == "interpolate":
    latents = translator.interpolate(wp, request.targets, request.frames, **common)  # [N,F,L,C]
    results = images.to_uint8(translator.render(latents, progress=progress))  # [N, F, R, R, 3]
    for entry, strip in zip(inputs, results, strict=True):
      save(f"{entry['name']}_strip.png", _strip_figure(request, strip[None], [entry["name"]]))
      save_gif(outdir / f"{entry['name']}.gif", strip)
      outputs.append(f"{entry['name']}.gif")
    save("strips.png", _strip_figure(request, results, names))
  else:
    latents = translator.translate(wp, request.targets, request.num_samples, **common)
    results = images.to_uint8(translator.render(latents, progress=progress))  # [N, S, R, R, 3]
    for entry, source, samples in zip(inputs, sources, results, strict=True):
      save(f"{entry['name']}_source.png", source)
      for k, image in enumerate(samples):
        save(f"{entry['name']}_{k}.png", image)
    rows = np.concatenate([sources[:, None], results], axis=1)  # source, then the results
    columns = ["source"] + [f"sample {k}" for k in range(request.num_samples)]
    title = f"{request.command} to {_targets_text(request)}"
    save("grid.png", figures.labelled_grid(rows, names, columns, title))
  np.save(outdir / "latents.npy", latents)
  outputs.append("latents.npy")
  manifest = _manifest(translator, request, inputs, mask, label_list, outputs)
  return EditResult(manifest, sources, results, labels)


def _targets_text(request: EditRequest) -> str:
  """What a grid's title says of a request: "bright=1, warm=0, noise seed 0[, layers 2-5]"."""
  text = ", ".join(f"{name}={value}" for name, value in request.targets.items())
  text += f", noise seed {request.seed}"
  return text + (f", layers {request.layers}" if request.layers else "")


def _strip_figure(request: EditRequest, strips: np.ndarray, names: list[str]) -> np.ndarray:
  """Interpolation strips [N, F, R, R, 3] with the frame index and alpha above each column
  (alpha 0: the source, 1: its translation) and the input's name left of each row."""
  alphas = np.linspace(0.0, 1.0, strips.shape[1])
  columns = [f"frame {f}\nalpha {a:.2f}" for f, a in enumerate(alphas)]
  title = f"source to {_targets_text(request)}"
  return figures.labelled_grid(strips, names, columns, title)


def _manifest(translator, request, inputs, mask, label_list, outputs) -> dict:
  interpolating = request.command == "interpolate"
  if request.source_labels is not None:
    labels_from = "argument"
  else:
    labels_from = "classifier" if label_list is not None else None
  return {
    "command": request.command,
    "inputs": inputs,
    "targets": dict(request.targets),
    "attributes": list(translator.attributes),
    "source_labels": label_list,
    "source_labels_from": labels_from,
    "layers": np.flatnonzero(mask).tolist(),
    "num_samples": 1 if interpolating else request.num_samples,
    "frames": request.frames if interpolating else None,
    "seed": request.seed,
    "psi": request.psi,
    "cutoff": request.cutoff,
    "noise_mode": "const",
    "checkpoint": translator.provenance,
    "outputs": outputs,
  }


def save_gif(path, frames: np.ndarray, duration_ms: int = 120, min_size: int = 128) -> None:
  """[F, H, W, 3] uint8 -> a looping GIF (frames enlarged by pixel repetition to min_size)."""
  from PIL import Image

  first, *rest = [Image.fromarray(f) for f in figures.enlarge(frames, min_size)]
  first.save(path, format="GIF", save_all=True, append_images=rest, duration=duration_ms, loop=0)


def sample_and_interpolate(
  translator: Translator, request: EditRequest, wp, inputs: list[dict], outdir
) -> tuple[EditResult, EditResult]:
  """The web editor's request: `request` (a sample) written to outdir/sample, and the
  interpolation from each source to its first sample to outdir/interpolate, each exactly
  as `python -m isf_jax.edit sample|interpolate` writes it (the same noise: sample 0 of
  every input is drawn independently of the number of samples)."""
  outdir = Path(outdir)
  (outdir / "sample").mkdir(parents=True)
  (outdir / "interpolate").mkdir()
  sample = write_outputs(translator, request, wp, [dict(e) for e in inputs], outdir / "sample")
  strip = dataclasses.replace(request, command="interpolate", num_samples=1)
  no_photo = [{k: v for k, v in e.items() if k != "target"} for e in inputs]  # saved once
  interpolation = write_outputs(translator, strip, wp, no_photo, outdir / "interpolate")
  for result, directory in ((sample, "sample"), (interpolation, "interpolate")):
    (outdir / directory / "manifest.json").write_text(json.dumps(result.manifest, indent=2))
  return sample, interpolation


def photo_inputs(
  translator: Translator,
  paths,
  *,
  align: bool = False,
  mode: str = "optimize",
  steps: int | None = None,
  space: str | None = None,
  lpips_net: str = "vgg",
  log=lambda message: None,
) -> tuple[np.ndarray, list[dict]]:
  """Photos -> their W+ [N, L, C] and a manifest entry each (alignment, inversion quality).

  Every photo is read (and FFHQ-aligned with `align`) before any is inverted, so a bad one
  fails the request at once (`isf_jax.photos.PhotoError`). `mode`: "optimize" (the projector,
  `steps`, default 1000), "encoder" (one pass of the Translator's encoder) or
  "encoder+optimize" (default 100 steps after it).
  """
  from isf_jax import checkpoints, invert

  photos = [invert.read_photo(p, translator.resolution, align) for p in paths]
  for photo in photos:
    if photo.warning:
      log(f"warning: {photo.warning}")
  result = translator.invert(
    np.stack([p.image for p in photos]),
    mode=mode,
    steps=DEFAULT_STEPS[mode] if steps is None else steps,
    space=space,
    lpips_net=lpips_net,
    progress=True,
  )
  entries = []
  for i, photo in enumerate(photos):
    record = result.record(i)
    log(
      f"inverted {photo.path} ({mode}): LPIPS {record['lpips']:.4f}, "
      f"PSNR {record['psnr']:.2f} dB, {result.seconds[i]:.1f} s"
    )
    if mode != "optimize":
      record["encoder"] = translator.provenance["encoder"]
    entries.append(
      {
        "name": f"{i:04d}_{Path(photo.path).stem}",  # unique even for equal file names
        "image": str(photo.path),
        "image_sha256": checkpoints.sha256(photo.path),
        "alignment": photo.alignment,
        "target": images.to_uint8(photo.image),  # the photo as inverted; saved, then dropped
        "inversion": record,
      }
    )
  return result.wp, entries
