"""The web editor's page (gradio): the controls, and one request from their values to the
gallery, strip, GIF and downloads. Part of the `isf_jax.app` command; the computation is
`isf_jax.editor`'s."""

from __future__ import annotations

import dataclasses
import os
import shlex
import shutil
import time
from pathlib import Path

import numpy as np

from isf_jax import editor
from isf_jax.layers import layer_presets

# gradio reports usage to its makers unless told not to; a local editor does not
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

KEEP = "keep"
LAYER_CHOICES = ("all", "preset", "custom")
MAX_SAMPLES = 16
DISPLAY_SIZE = 256  # small renders are enlarged by pixel repetition to at least this


@dataclasses.dataclass(frozen=True)
class PageValues:
  """The controls' values; the defaults are the page's."""

  targets: dict  # {attribute: 0 or 1}; kept attributes are absent
  source: str = "seed"  # "seed" or "photo"
  seed: int = 0
  psi: float = 0.7
  photo: str | None = None  # gradio's copy of an upload
  align: bool = True
  num_samples: int = 6
  noise_seed: int = 0
  layers: str = "all"  # one of LAYER_CHOICES
  custom_layers: str | None = ""
  frames: int = 8
  source_labels: str | None = ""  # "0,1,0,1" when there is no classifier and attributes are kept

  def request(self) -> editor.EditRequest:
    layers = {"all": None, "preset": "preset", "custom": (self.custom_layers or "").strip()}[
      self.layers
    ]
    labels = (self.source_labels or "").strip()  # None: the field is hidden
    if labels and not all(v.strip() in ("0", "1") for v in labels.split(",")):
      raise ValueError(f"source labels {labels!r}: comma-separated 0/1, one per attribute")
    seeded = self.source == "seed"
    return editor.EditRequest(
      "sample",
      dict(self.targets),
      tuple(int(v) for v in labels.split(",")) if labels else None,
      layers,
      whole(self.noise_seed, "the noise seed"),
      int(self.num_samples),
      int(self.frames),
      psi=float(self.psi) if seeded else None,
    )


def whole(value, what: str) -> int:
  """A page number field (None when cleared) -> int, or a ValueError naming the field."""
  if value is None or int(value) != value or value < 0:
    raise ValueError(f"{what} must be a whole number >= 0, got {value}")
  return int(value)


def enlarge(image: np.ndarray) -> np.ndarray:
  """uint8 [H, W, 3] -> pixel-repeated to at least DISPLAY_SIZE (browsers blur upscaling)."""
  factor = max(1, -(-DISPLAY_SIZE // image.shape[0]))
  return image.repeat(factor, axis=0).repeat(factor, axis=1)


def caption(attributes, targets: dict, labels) -> str:
  """'bright→1 warm→0 · top_heavy 0 contrasty 1': targets, then kept labels where known."""
  parts = [f"{a}→{targets[a]}" for a in attributes if a in targets]
  kept = [
    f"{a} {int(labels[i])}" if labels is not None else f"{a} kept"
    for i, a in enumerate(attributes)
    if a not in targets
  ]
  return " ".join(parts) + (" · " + " ".join(kept) if kept else "")


def cli_command(session, values: PageValues, request: editor.EditRequest) -> str:
  """The `isf_jax.edit` command that writes the same sample files."""
  if values.source != "seed":
    return "(photo: aligned and inverted in the page; see inputs in manifest.json)"
  args = ["python", "-m", "isf_jax.edit", "sample", "--isf", session.isf]
  if session.generator is not None:
    args += ["--generator", session.generator]
  args += ["--seeds", str(int(values.seed)), "--psi", f"{float(values.psi):g}"]
  args += ["--target", ",".join(f"{k}={v}" for k, v in request.targets.items())]
  if request.source_labels is not None:
    args += ["--source-labels", ",".join(map(str, request.source_labels))]
  if request.layers is not None:
    args += ["--layers", request.layers]
  args += ["--num-samples", str(request.num_samples), "--seed", str(request.seed)]
  return shlex.join([*args, "--outdir", "OUT"])


def load_source(session, values: PageValues):
  if values.source == "seed":
    seed = whole(values.seed, "the seed")
    return editor.seed_inputs(session.translator, [seed], float(values.psi))
  if not values.photo:
    raise ValueError("upload a photo first, or choose the seed source")
  mode = "encoder" if session.translator.encoder is not None else "optimize"
  wp, entries = editor.photo_inputs(
    session.translator,
    [values.photo],
    align=values.align,
    mode=mode,
    steps=None if mode == "encoder" else session.invert_steps,
    lpips_net=session.lpips_net,
  )
  entries[0]["image"] = Path(values.photo).name  # an upload: its name, not the server's path
  return wp, entries


def translate(session, values: PageValues) -> tuple:
  """One click: (status, source, gallery [(image, caption)], strip, gif path, download
  paths, command); on bad input the status says why and the rest is empty."""
  start = time.perf_counter()
  outdir = session.new_outdir()
  try:
    if not values.targets:
      raise ValueError("set at least one attribute to 0 or 1")
    request = values.request()
    wp, inputs = load_source(session, values)
    sample, interpolation = editor.sample_and_interpolate(
      session.translator, request, wp, inputs, outdir
    )
  except (ValueError, OSError, ImportError) as e:  # bad values, unreadable photo, no dlib
    shutil.rmtree(outdir, ignore_errors=True)
    message = str(e).splitlines()[0] if str(e) else type(e).__name__
    return (f"**Error:** {message}", None, [], None, None, None, "")
  attributes = session.translator.attributes
  labels = sample.source_labels[0] if sample.source_labels is not None else None
  gallery = [
    (enlarge(image), f"#{k} · {caption(attributes, request.targets, labels)}")
    for k, image in enumerate(sample.results[0])
  ]
  name = inputs[0]["name"]
  archive = shutil.make_archive(str(outdir / "isf_edit"), "zip", outdir, ".")
  downloads = [
    archive,
    str(outdir / "sample" / "manifest.json"),
    str(outdir / "sample" / "latents.npy"),
    str(outdir / "interpolate" / f"{name}.gif"),
  ]
  seconds = time.perf_counter() - start
  status = f"{len(gallery)} samples of {name} in {seconds:.2f}s"
  strip = enlarge(np.concatenate(list(interpolation.results[0]), axis=1))  # [R, F R, 3]
  return (
    status,
    enlarge(sample.sources[0]),
    gallery,
    strip,
    str(outdir / "interpolate" / f"{name}.gif"),
    downloads,
    f"```\n{cli_command(session, values, request)}\n```",
  )


def missing_world_page(isf: str, command: str):
  import gradio as gr

  with gr.Blocks(title="ISF-GAN editor") as page:
    gr.Markdown(
      f"# ISF-GAN editor\n\nNo trained ISF at `{isf}` yet. Make the demo world's with\n\n"
      f"```\n{command}\n```\n\nthen start the editor again, or pass `--isf DIR`."
    )
  return page


def build_page(session):
  """The page; one function (~70 lines) because its layout reads top to bottom as the page."""
  import gradio as gr

  translator = session.translator
  attributes = translator.attributes
  presets = all(a in layer_presets(translator.generator_config.kind) for a in attributes)
  # gradio's copies of served files and uploads: those older than an hour removed hourly
  with gr.Blocks(title="ISF-GAN editor", delete_cache=(3600, 3600)) as page:
    gr.Markdown(
      f"# ISF-GAN editor\nISF `{session.isf}` · generator `{translator.provenance['generator']}`"
      f" · {translator.resolution} px · attributes: {', '.join(attributes)}"
    )
    with gr.Row():
      with gr.Column(scale=1, min_width=320):
        source = gr.Radio(["seed", "photo"], value="seed", label="Source")
        with gr.Row():
          seed = gr.Number(0, precision=0, minimum=0, label="Seed", elem_id="seed")
          psi = gr.Slider(0, 1, 0.7, step=0.05, label="Truncation ψ (seeds)")
        # a file, not gr.Image: an unreadable upload then reaches `translate`, which says why
        photo = gr.File(label="Photo", file_types=["image"], type="filepath", height=120)
        align = gr.Checkbox(True, label="Align the face (FFHQ crop)")
        choices = [
          gr.Radio([KEEP, "0", "1"], value=KEEP, label=a, elem_id=f"attr-{a}") for a in attributes
        ]
        num_samples = gr.Slider(1, MAX_SAMPLES, 6, step=1, label="Samples")
        noise_seed = gr.Number(0, precision=0, minimum=0, label="Noise seed")
        with gr.Row():
          layers = gr.Radio(
            list(LAYER_CHOICES if presets else ("all", "custom")), value="all", label="Layers"
          )
          custom_layers = gr.Textbox(label="Custom layers", placeholder="e.g. 4-7")
        frames = gr.Slider(2, 16, 8, step=1, label="Interpolation frames")
        labels = gr.Textbox(
          label="Source labels (when attributes are kept and no classifier reads them)",
          placeholder=",".join(["0"] * len(attributes)),
          visible=translator.classifier is None,
        )
        button = gr.Button("Translate", variant="primary", elem_id="translate")
      with gr.Column(scale=2):
        status = gr.Markdown(elem_id="status")
        source_image = gr.Image(label="Source", format="png", height=200, elem_id="source")
        gallery = gr.Gallery(
          label="Samples", format="png", columns=4, height="auto", elem_id="gallery"
        )
        strip = gr.Image(label="Source → sample #0", format="png", elem_id="strip")
        gif = gr.Image(type="filepath", label="Interpolation GIF", height=160)
        files = gr.File(label="Downloads (zip: sample/ and interpolate/)", file_count="multiple")
        command = gr.Markdown()

    # gradio reports the projector's tqdm bar through a Progress default (its idiom)
    def on_click(*values, progress=gr.Progress(track_tqdm=True)):  # noqa: B008
      kind, seed_, psi_, photo_, align_, n, noise, layers_, custom, frames_, labels_ = values[:11]
      targets = {a: int(v) for a, v in zip(attributes, values[11:], strict=True) if v != KEEP}
      page_values = PageValues(
        targets, kind, seed_, psi_, photo_, align_, n, noise, layers_, custom, frames_, labels_
      )
      return translate(session, page_values)

    button.click(
      on_click,
      [source, seed, psi, photo, align, num_samples, noise_seed, layers, custom_layers, frames]
      + [labels, *choices],
      [status, source_image, gallery, strip, gif, files, command],
      api_name="translate",
    )
  return page
