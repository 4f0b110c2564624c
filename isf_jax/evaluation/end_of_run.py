"""The trainer's end-of-run evaluation on the demo world: a small protocol of the harness.

Every held-out test code is translated by the EMA ISF once per attribute and direction
(the attribute set to 1, then to 0; the others kept), so an identity mapping scores about
50%. Measured: the exact classifier's accuracy, content LPIPS(source, translation) and the
diversity of 10 samples for the first 16 codes of each direction (as many samples as 32
codes with one flip each); no paths, PPL, FID or FRS (the evaluate command measures those)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jax
import numpy as np

from isf_jax.evaluation.harness import score_directions
from isf_jax.evaluation.methods import isf_method
from isf_jax.evaluation.protocol import MetricNetworks, Protocol
from isf_jax.evaluation.report import training_markdown, write_text
from isf_jax.evaluation.summary import summarize

DIVERSITY_INPUTS = 16
DIVERSITY_SAMPLES = 10


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


def summary_metrics(per_attribute: dict) -> dict:
  """The "eval/..." numbers from each attribute's rows (`summary.attribute_rows`)."""
  both = {name: rows["both"] for name, rows in per_attribute.items()}
  result = {
    "eval/accuracy_mean": float(np.mean([row["acc"] for row in both.values()])),
    "eval/identity_accuracy_mean": float(np.mean([row["acc_identity"] for row in both.values()])),
    "eval/content_lpips": float(np.mean([row["content_lpips"] for row in both.values()])),
    "eval/diversity_lpips": float(np.mean([row["lpips"] for row in both.values()])),
  }
  for name, row in both.items():
    result[f"eval/accuracy/{name}"] = row["acc"]
    result[f"eval/identity_accuracy/{name}"] = row["acc_identity"]
  return result


def evaluate_training_run(config, workdir, nets, state, frozen, test) -> dict:
  """Scores the EMA ISF of a finished demo run on the test split; writes WORKDIR/eval.json
  and WORKDIR/eval.md (process 0) and returns the "eval/..." numbers."""
  names = list(config.data.attributes)
  protocol = training_protocol(len(test["wp"]))
  method = isf_method(nets.isf, state.isf_ema_params, config.train.noise_dim)
  render, metric_nets = _training_networks(config, workdir, nets, frozen)
  wp = np.asarray(test["wp"], np.float32)
  labels = np.asarray(test["labels"], np.float32)
  per_direction = score_directions([method], render, metric_nets, wp, labels, names, names,
                                   protocol)  # fmt: skip
  per_attribute = summarize(per_direction, [method], names, None)["methods"][method.name]
  result = summary_metrics(per_attribute["attributes"])
  table = training_markdown(result, names, protocol)
  if jax.process_index() == 0:
    write_text(Path(workdir, "eval.json"), json.dumps(result, indent=2))
    write_text(Path(workdir, "eval.md"), table)
    print(table, file=sys.stderr)
  return result
