"""The trainer's end-of-run evaluation in a built-in world: a small protocol of the harness,
the EMA ISF against InterFaceGAN (boundaries trained on the run's own training split).

Every held-out test code is translated by each method once per attribute and direction
(the attribute set to 1, then to 0; the others kept), so an identity mapping scores about
50%. Measured: the world classifier's accuracy, the preservation of the other attributes,
content LPIPS(source, translation) and the diversity of 10 samples for the first 16 codes of
each direction (as many samples as 32 codes with one flip each); then 1, 2 and 3 attributes
flipped at once (`combinations`). No paths, PPL, FID or FRS (the evaluate command measures
those)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jax
import numpy as np

from isf_jax import images
from isf_jax.evaluation.combinations import combination_metrics, score_combinations
from isf_jax.evaluation.comparison import comparison_figure
from isf_jax.evaluation.harness import Harness, score_directions
from isf_jax.evaluation.methods import isf_method
from isf_jax.evaluation.protocol import MetricNetworks, Protocol
from isf_jax.evaluation.report import training_markdown, write_text
from isf_jax.evaluation.summary import summarize

DIVERSITY_INPUTS = 16
DIVERSITY_SAMPLES = 10
COMBINATION_SIZES = (1, 2, 3)  # attributes edited at once
FIGURE_CODES = 8  # columns of comparison.png


def training_protocol(num_test: int) -> Protocol:
  """Every test code, in batches of the diversity inputs (only the first batch has samples)."""
  batch_size = min(DIVERSITY_INPUTS, num_test)
  return Protocol(
    num_test=num_test,
    diversity_inputs=batch_size,
    diversity_samples=DIVERSITY_SAMPLES,
    num_frames=0,
    batch_size=batch_size,
  )


def _training_networks(config, workdir, nets, frozen) -> tuple:
  """(render, MetricNetworks): the trainer's frozen generator and LPIPS, the world's
  classifier."""
  from isf_jax.demo import dataset
  from isf_jax.demo.worlds import world
  from isf_jax.losses import box_downsample

  size = config.train.img_size
  data_dir = dataset.data_dir(workdir, config.data.data_dir)

  def render(wp):  # [B, L, C] -> [B, R, R, 3]; fixed noise
    return nets.generator.apply(frozen["generator"], wp, noise_mode="const", method="synthesize")

  def lpips(a, b):  # [B, R, R, 3] x 2 -> [B], at the size the trainer's LPIPS loss sees
    return nets.lpips.apply(frozen["lpips"], box_downsample(a, size), box_downsample(b, size))

  metric_nets = MetricNetworks(
    lpips=lpips,
    classifier=world(config.generator.ckpt).classifier(data_dir, config.data.name),
    notes={"lpips": f"the trainer's LPIPS ({config.lpips.net})", "classifier": "the world's"},
  )
  return render, metric_nets


def summary_metrics(per_attribute: dict, prefix: str = "eval/") -> dict:
  """The "eval/..." numbers from each attribute's rows (`summary.attribute_rows`); another
  method's numbers carry its name: `prefix` "eval/interfacegan/"."""
  both = {name: rows["both"] for name, rows in per_attribute.items()}

  def mean(metric):
    values = [row.get(metric) for row in both.values()]
    return None if None in values else float(np.mean(values))

  result = {
    f"{prefix}accuracy_mean": mean("acc"),
    f"{prefix}identity_accuracy_mean": mean("acc_identity"),
    f"{prefix}preservation": mean("preservation"),
    f"{prefix}content_lpips": mean("content_lpips"),
    f"{prefix}diversity_lpips": mean("lpips"),
  }
  for name, row in both.items():
    result[f"{prefix}accuracy/{name}"] = row["acc"]
    result[f"{prefix}identity_accuracy/{name}"] = row["acc_identity"]
    result[f"{prefix}preservation/{name}"] = row.get("preservation")
  return result


def _interfacegan(config, workdir, w_shape):
  """The InterFaceGAN baseline with boundaries trained on this run's training split."""
  from isf_jax.data import pipeline
  from isf_jax.demo.dataset import data_dir
  from isf_jax.evaluation.run import interfacegan_baseline

  directory = data_dir(workdir, config.data.data_dir)
  train_split = pipeline.load_split(directory, config.data.name, config.data.train_split)
  method, _ = interfacegan_baseline(config, train_split, Path(workdir), None, {}, w_shape)
  return method


def evaluate_training_run(config, workdir, nets, state, frozen, test) -> dict:
  """Scores the EMA ISF of a finished run in a built-in world on the test split against
  InterFaceGAN: each attribute alone, then COMBINATION_SIZES attributes at once; writes
  WORKDIR/eval.json, WORKDIR/eval.md and the labelled picture WORKDIR/comparison.png (process
  0) and returns the "eval/..." numbers."""
  names = list(config.data.attributes)
  protocol = training_protocol(len(test["wp"]))
  wp = np.asarray(test["wp"], np.float32)
  labels = np.asarray(test["labels"], np.float32)
  methods = [
    isf_method(nets.isf, state.isf_ema_params, config.train.noise_dim),
    _interfacegan(config, workdir, wp.shape[1:]),
  ]
  render, metric_nets = _training_networks(config, workdir, nets, frozen)
  harness = Harness(render, metric_nets, protocol)
  source = harness.source_outputs(wp)
  per_direction = score_directions(methods, render, metric_nets, wp, labels, names, names,
                                   protocol, harness=harness, source=source)  # fmt: skip
  summarized = summarize(per_direction, methods, names, None)["methods"]
  result = {}
  for method in methods:
    prefix = "eval/" if method.name == "isf" else f"eval/{method.name}/"
    result.update(summary_metrics(summarized[method.name]["attributes"], prefix))
  sizes = [size for size in COMBINATION_SIZES if size <= len(names)]
  combos = combination_metrics(
    score_combinations(methods, harness, wp, labels, source["labels"], sizes)
  )
  for (method, size), row in combos.items():
    prefix = "eval/" if method == "isf" else f"eval/{method}/"
    result.update({f"{prefix}{metric}/{size}_attributes": v for metric, v in row.items()})
  table = training_markdown(result, names, protocol, sizes)
  if jax.process_index() == 0:
    write_text(Path(workdir, "eval.json"), json.dumps(result, indent=2))
    write_text(Path(workdir, "eval.md"), table)
    title = f"{config.generator.ckpt} world, step {int(state.step)}: ISF (EMA) and InterFaceGAN"
    figure = comparison_figure(methods, harness.render, wp[:FIGURE_CODES], labels[:FIGURE_CODES],
                               names, title)  # fmt: skip
    images.save_png(Path(workdir, "comparison.png"), figure)
    print(table, file=sys.stderr)
  return result
