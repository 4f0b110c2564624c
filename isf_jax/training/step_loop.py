"""The loop every trainer runs (the ISF's, the encoder's): steps from the state's step to
config.total_steps, with the progress bar and metrics (`progress.MetricWriter`), sample grids
every config.sample_every_steps, checkpoints every config.ckpt_every_steps and at the end, and
a checkpoint then a clean return on SIGTERM (a preempted job resumes exactly)."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path

import jax
import numpy as np
from tqdm import tqdm

from isf_jax import sharding
from isf_jax.training.checkpointing import RunCheckpoints
from isf_jax.training.progress import MetricWriter


def run_steps(
  config,
  workdir: Path,
  mesh: jax.sharding.Mesh,
  state,
  frozen,
  step_fn: Callable,  # (state, frozen, batch) -> (state, metrics), jitted over the mesh
  next_batch: Callable[[int], dict],  # step index -> this process's share of the batch
  checkpoints: RunCheckpoints,
  input_state,  # what `checkpoints` saves of the input position (get_state/set_state)
  write_samples: Callable,  # (state, path) -> None
  desc: str,
  postfix: dict | None = None,  # {short name: metric} shown on the progress bar
):
  """-> (final state, last metrics, whether SIGTERM stopped the run)."""
  batch_sharding = sharding.batch_sharded(mesh)
  start = int(state.step)
  writer = MetricWriter(workdir, config.log_every_steps, start, postfix)
  stop, previous_handler = _install_sigterm_flag()
  lead = jax.process_index() == 0
  try:
    with tqdm(
      total=config.total_steps, initial=start, unit="step", desc=desc, file=sys.stderr,
      disable=not lead,
    ) as bar:  # fmt: skip
      if start == 0 and lead:
        write_samples(state, workdir / "samples" / "step_000000.png")
      for index in range(start, config.total_steps):
        batch = {
          k: jax.make_array_from_process_local_data(batch_sharding, np.asarray(v))
          for k, v in next_batch(index).items()
        }
        with jax.transfer_guard("disallow"):  # everything the step needs is on device
          state, metrics = step_fn(state, frozen, batch)
        done = index + 1
        writer.log(done, metrics, bar)
        bar.update(1)
        if done % config.sample_every_steps == 0 and lead:
          write_samples(state, workdir / "samples" / f"step_{done:06d}.png")
        if done % config.ckpt_every_steps == 0 or done == config.total_steps or stop["requested"]:
          checkpoints.save(done, state, input_state)
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
