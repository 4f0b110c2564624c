"""What inversion costs an edit: methods scored on inverted codes of held-out "photos".

The test codes are rendered with fresh noise maps (what a photo is to the generator: a code
plus detail no code holds), rounded to 8 bits, inverted (`isf_jax.invert`: the encoder, the
projector or both), and each method edits the inverted codes. Per method, attribute and
direction (the attribute set to 1 / to 0, the other labels kept):

  acc       the classifier reads the requested value in the edit's render (%)
  content   LPIPS-Alex between the edit's render and the input photo (not the render of the
            inverted code: the user compares the edit with the photo)

The same two numbers on the sampled codes themselves (content to their constant-noise render,
as the main table measures it) stand beside them, so the difference is what inversion costs.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from isf_jax.evaluation.batching import pad
from isf_jax.evaluation.protocol import LPIPS_SIZE
from isf_jax.metrics import ppl

SOURCES = ("sampled", "inverted")


@dataclasses.dataclass(frozen=True)
class InvertedCodes:
  photos: np.ndarray  # [N, R, R, 3] in [-1, 1], rendered with fresh noise and rounded
  wp: np.ndarray  # [N, L, C] their inversions
  mode: str
  steps: int
  lpips: float  # mean reconstruction LPIPS (the inversion's own measure)
  psnr: float


def invert_test_codes(
  wp,
  generator_config,
  generator_variables,
  mode,
  encoder=None,
  steps: int = 100,
  seed: int = 0,
  lpips_net: str = "alex",
) -> InvertedCodes:
  """Photos of the codes wp [N, L, C] (fresh noise of `seed`) and their inversions by `mode`."""
  from isf_jax import images, invert
  from isf_jax.generators import generator_module

  generator = generator_module(generator_config)
  rendered = jax.jit(
    lambda variables, wp: generator.apply(
      variables, wp, noise_mode="random", rng=jax.random.PRNGKey(seed), method="synthesize"
    )
  )(generator_variables, np.asarray(wp, np.float32))
  photos = images.to_uint8(np.asarray(rendered)).astype(np.float32) / 127.5 - 1.0
  result = invert.invert(photos, mode, generator_config, generator_variables, encoder,
                         steps=steps, lpips_net=lpips_net, seed=seed)  # fmt: skip
  return InvertedCodes(photos, result.wp, mode, result.steps, float(result.lpips.mean()),
                       float(result.psnr.mean()))  # fmt: skip


def _edit(method, wp, targets, k: int, key):
  """A method's edit of attribute k alone (`Method.edit` takes the mask of attributes asked)."""
  asked = jnp.zeros(targets.shape, targets.dtype).at[:, k].set(1)
  return method.edit(wp, targets, asked, key)


def score_inverted_edits(
  methods,
  render,
  nets,
  wp,
  labels,
  inverted: InvertedCodes,
  attributes,
  batch_size: int = 16,
  seed: int = 0,
) -> dict:
  """{method: {attribute: {"to 1"/"to 0": {source: {"acc", "content"}}}}} for the
  sampled codes wp [N, L, C] (labels [N, K]) and their inversions."""
  if nets.classifier is None:
    raise ValueError("scoring edits of inverted codes needs an attribute classifier")
  n = len(inverted.wp)
  render = jax.jit(render)
  metric_size = jax.jit(lambda x: ppl.downsample_to(x, LPIPS_SIZE))  # as the main table
  sources = {
    "sampled": (np.asarray(wp[:n], np.float32), None),
    "inverted": (np.asarray(inverted.wp, np.float32), inverted.photos),
  }
  scores = {}
  for method in methods:
    per_attribute = scores.setdefault(method.name, {})
    for k, name in enumerate(attributes):
      for value in (1, 0):
        targets = np.asarray(labels[:n], np.float32).copy()
        targets[:, k] = value
        key = jax.random.fold_in(jax.random.PRNGKey(seed), 2 * k + value)
        cell = per_attribute.setdefault(name, {})[f"to {value}"] = {}
        for source, (codes, photos) in sources.items():
          edited = _edited_renders(method, render, codes, targets, k, key, batch_size)
          references = photos if photos is not None else _renders(render, codes, batch_size)
          predicted = np.asarray(nets.classifier(edited))[:, k]
          cell[source] = {
            "acc": 100.0 * float(np.mean(predicted == value)),
            "content": float(
              np.mean(np.asarray(nets.lpips(metric_size(references), metric_size(edited))))
            ),
          }
  return scores


def _renders(render, codes, batch_size):
  out = []
  for start in range(0, len(codes), batch_size):
    batch, m = pad(codes[start : start + batch_size], batch_size)
    out.append(np.asarray(render(batch))[:m])
  return np.concatenate(out)


def _edited_renders(method, render, codes, targets, k, key, batch_size):
  out = []
  for start in range(0, len(codes), batch_size):
    batch, m = pad(codes[start : start + batch_size], batch_size)
    batch_targets, _ = pad(targets[start : start + batch_size], batch_size)
    edited = _edit(method, batch, batch_targets, k, jax.random.fold_in(key, start))
    out.append(np.asarray(render(edited))[:m])
  return np.concatenate(out)


def markdown(scores: dict, inverted: InvertedCodes) -> str:
  """One table: per method, attribute and direction, acc and content on both sources."""
  steps = f", {inverted.steps} steps" if inverted.steps else ""
  lines = [
    f"Edits of inverted codes ({inverted.mode}{steps}; reconstruction LPIPS "
    f"{inverted.lpips:.4f}, PSNR {inverted.psnr:.2f} dB) vs of the sampled codes.",
    "",
    "| method | attribute | direction | acc sampled | acc inverted | content sampled | "
    "content inverted (to the photo) |",
    "|---|---|---|---:|---:|---:|---:|",
  ]
  for method, per_attribute in scores.items():
    for name, directions in per_attribute.items():
      for direction, cell in directions.items():
        s, i = cell["sampled"], cell["inverted"]
        lines.append(f"| {method} | {name} | {direction} | {s['acc']:.1f} | {i['acc']:.1f} | "
                     f"{s['content']:.4f} | {i['content']:.4f} |")  # fmt: skip
  return "\n".join(lines) + "\n"


@dataclasses.dataclass(frozen=True)
class InversionRequest:
  """What `evaluate_from_config(..., inverted=)` asks for: invert the first `num_codes` test
  codes' photos by `mode` ("encoder" and "encoder+optimize" need `encoder`, a directory)."""

  mode: str
  encoder: str | None = None
  steps: int = 100
  num_codes: int = 64
  lpips_net: str = "alex"

  def __post_init__(self):
    from isf_jax import invert

    if self.mode not in invert.MODES:
      raise ValueError(f"--invert must be none or one of {list(invert.MODES)}, got {self.mode!r}")
    if self.mode != "optimize" and not self.encoder:
      hint = "python -m isf_jax.train_encoder"
      raise ValueError(f"--invert {self.mode} needs --encoder DIR ({hint})")
    if self.num_codes < 1:
      raise ValueError(f"--invert_codes must be at least 1, got {self.num_codes}")


def evaluate_inverted(
  request: InversionRequest,
  methods,
  render,
  nets,
  test,
  attributes,
  generator_spec,
  out_dir,
  seed: int = 0,
) -> dict:
  """Invert the test codes' photos, score the methods on both; writes inverted.{json,md}."""
  import json
  from pathlib import Path

  from isf_jax import invert
  from isf_jax.generators import read_generator

  generator_config, generator_variables = read_generator(generator_spec)
  encoder = None
  if request.encoder:
    encoder = invert.load_encoder(request.encoder, generator_config)
  inverted = invert_test_codes(
    test["wp"][: request.num_codes], generator_config, generator_variables, request.mode,
    encoder, request.steps, seed, request.lpips_net,
  )  # fmt: skip
  scores = score_inverted_edits(methods, render, nets, test["wp"], test["labels"], inverted,
                                attributes, seed=seed)  # fmt: skip
  summary = {"mode": inverted.mode, "steps": inverted.steps, "encoder": request.encoder,
             "num_codes": len(inverted.wp), "reconstruction_lpips": inverted.lpips,
             "reconstruction_psnr": inverted.psnr, "scores": scores}  # fmt: skip
  out_dir = Path(out_dir)
  out_dir.mkdir(parents=True, exist_ok=True)
  (out_dir / "inverted.json").write_text(json.dumps(summary, indent=2))
  (out_dir / "inverted.md").write_text(markdown(scores, inverted))
  return summary
