"""`train_and_evaluate(config, workdir)`: train an e4e encoder for a frozen generator on
synthetic pairs (w, G(w)) to config.total_steps, resuming from the latest checkpoint exactly,
then export it and measure it against the projector on held-out renders.

Outputs under workdir: config.json, checkpoints/, metrics.jsonl, tensorboard/, samples/
(input | reconstruction grids of fixed held-out renders), encoder/ (`e4e.save_encoder`: what
`isf_jax.invert.load_encoder`, `--encoder` and the notebook read) and, when
config.eval.num_images > 0, inversion.md and inversion.json (`evaluate.py`'s table).
SIGTERM saves a checkpoint and returns.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jax
import ml_collections
import numpy as np

from isf_jax import sharding
from isf_jax.encoder_training import data, networks, step
from isf_jax.encoder_training.samples import make_sampler
from isf_jax.training.checkpointing import RunCheckpoints
from isf_jax.training.progress import NonFiniteLossError
from isf_jax.training.step_loop import run_steps

__all__ = ["NonFiniteLossError", "train_and_evaluate"]
NUM_SAMPLES = 8  # rows of the sample grids
ENCODER_DIR = "encoder"


class _DrawnInputs:
  """The input position RunCheckpoints saves: nothing, as every draw is fold_in(rng, step)."""

  def get_state(self) -> dict:
    return {}

  def set_state(self, state: dict) -> None:
    del state


def train_and_evaluate(config: ml_collections.ConfigDict, workdir) -> dict:
  """Train to config.total_steps (resuming if possible); returns the last logged metrics,
  plus the evaluation's rows under "inversion" when config.eval.num_images > 0."""
  workdir = Path(workdir)
  workdir.mkdir(parents=True, exist_ok=True)
  if jax.process_index() == 0:
    (workdir / "config.json").write_text(config.to_json_best_effort(indent=2))
  if config.global_batch_size % jax.device_count():
    raise ValueError(
      f"global_batch_size {config.global_batch_size} is not divisible by "
      f"{jax.device_count()} devices"
    )
  generator_config, generator, frozen, lpips, arcface = networks.load_frozen(config)
  nets = networks.build_networks(config, generator_config, generator, lpips, arcface)
  feed = data.open_feed(config, generator_config.resolution)
  mesh = sharding.data_mesh()
  replicated = sharding.replicated(mesh)
  w_avg = networks.w_avg(frozen["generator"])
  state = jax.jit(lambda: step.init_state(nets, config.seed, w_avg), out_shardings=replicated)()
  checkpoints = RunCheckpoints(workdir / "checkpoints", config.keep_checkpoints)
  state = checkpoints.restore_latest(state, _DrawnInputs(), replicated)
  frozen = jax.device_put(frozen, replicated)
  write_samples = make_sampler(nets, frozen, generator_config, config.eval.seed, NUM_SAMPLES)
  state, last, stopped = _train(config, workdir, nets, mesh, state, frozen, feed, checkpoints,
                                write_samples)  # fmt: skip
  if stopped:
    return last
  encoder_dir = workdir / ENCODER_DIR
  if jax.process_index() == 0:
    from isf_jax.encoders import e4e

    variables = jax.tree.map(np.asarray, jax.device_get(state.variables()))
    e4e.save_encoder(encoder_dir, nets.encoder.config, variables, overwrite=True)
  if config.eval.num_images > 0 and jax.process_index() == 0:
    last["inversion"] = _evaluate(config, workdir, encoder_dir, generator_config, frozen)
  return last


def _evaluate(config, workdir, encoder_dir, generator_config, frozen) -> list[dict]:
  from isf_jax import invert
  from isf_jax.encoder_training import evaluate

  encoder = invert.load_encoder(encoder_dir, generator_config)
  generator_variables = jax.device_get(frozen["generator"])
  rows = evaluate.compare_inversions(generator_config, generator_variables, encoder, config.eval)
  table = evaluate.markdown_table(rows, config.eval)
  (workdir / "inversion.md").write_text(table)
  (workdir / "inversion.json").write_text(json.dumps(rows, indent=2))
  print(table, file=sys.stderr)
  return rows


def _train(config, workdir, nets, mesh, state, frozen, feed, checkpoints, write_samples):
  """The loop: (final state, last metrics, whether SIGTERM stopped it)."""
  step_fn = step.jit_train_step(nets, mesh, config.global_batch_size)
  return run_steps(
    config, workdir, mesh, state, frozen, step_fn, feed.batch, checkpoints, _DrawnInputs(),
    write_samples, desc="train encoder", postfix={"loss": "loss/total", "lpips": "loss/lpips"},
  )  # fmt: skip
