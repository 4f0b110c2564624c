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
import signal
import sys
from pathlib import Path

import jax
import ml_collections
import numpy as np
from tqdm import tqdm

from isf_jax import sharding
from isf_jax.encoder_training import data, networks, step
from isf_jax.encoder_training.samples import make_sampler
from isf_jax.training.checkpointing import RunCheckpoints
from isf_jax.training.progress import MetricWriter, NonFiniteLossError

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
  batch_sharding = sharding.batch_sharded(mesh)
  start = int(state.step)
  postfix = {"loss": "loss/total", "lpips": "loss/lpips"}
  writer = MetricWriter(workdir, config.log_every_steps, start, postfix)
  stop, previous_handler = _install_sigterm_flag()
  lead = jax.process_index() == 0
  try:
    with tqdm(
      total=config.total_steps, initial=start, unit="step", desc="train encoder",
      file=sys.stderr, disable=not lead,
    ) as bar:  # fmt: skip
      if start == 0 and lead:
        write_samples(state, workdir / "samples" / "step_000000.png")
      for index in range(start, config.total_steps):
        batch = {
          k: jax.make_array_from_process_local_data(batch_sharding, v)
          for k, v in feed.batch(index).items()
        }
        with jax.transfer_guard("disallow"):  # everything the step needs is on device
          state, metrics = step_fn(state, frozen, batch)
        done = index + 1
        writer.log(done, metrics, bar)
        bar.update(1)
        if done % config.sample_every_steps == 0 and lead:
          write_samples(state, workdir / "samples" / f"step_{done:06d}.png")
        if done % config.ckpt_every_steps == 0 or done == config.total_steps or stop["requested"]:
          checkpoints.save(done, state, _DrawnInputs())
        if stop["requested"]:
          print(f"SIGTERM: saved a checkpoint at step {done}; exiting", file=sys.stderr)
          break
      last = writer.flush(bar)
  finally:
    checkpoints.close()
    writer.close()
    signal.signal(signal.SIGTERM, previous_handler)
  return state, last, stop["requested"]


def _install_sigterm_flag():
  stop = {"requested": False}

  def handler(signum, frame):
    stop["requested"] = True

  previous = signal.signal(signal.SIGTERM, handler)
  return stop, previous
