"""`train_and_evaluate(config, workdir)`: train an ISF to config.total_steps, resuming from
the latest checkpoint exactly, then export the EMA ISF and (built-in worlds) evaluate it.

Outputs under workdir: config.json, checkpoints/, metrics.jsonl, tensorboard/, samples/,
isf_ema/ (an ISF checkpoint, `isf_jax.load_isf`); SIGTERM saves a checkpoint and returns.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jax
import jax.numpy as jnp
import ml_collections

from isf_jax import generators, sharding, train_step
from isf_jax.training.checkpointing import RunCheckpoints
from isf_jax.training.networks import build_networks, export_isf, load_frozen
from isf_jax.training.progress import NonFiniteLossError
from isf_jax.training.samples import make_sampler
from isf_jax.training.step_loop import run_steps

__all__ = ["NonFiniteLossError", "train_and_evaluate"]
NUM_SAMPLES = 8  # columns of the sample grids


def train_and_evaluate(config: ml_collections.ConfigDict, workdir) -> dict:
  """Train to config.total_steps (resuming if possible); returns the last logged metrics,
  with the evaluation's in a built-in world (`isf_jax.demo.worlds`), whose latent dataset is
  made first when missing."""
  workdir = Path(workdir)
  workdir.mkdir(parents=True, exist_ok=True)
  if jax.process_index() == 0:
    (workdir / "config.json").write_text(config.to_json_best_effort(indent=2))
  if config.global_batch_size % jax.device_count():
    raise ValueError(
      f"global_batch_size {config.global_batch_size} is not divisible by "
      f"{jax.device_count()} devices"
    )
  builtin = generators.is_builtin(config.generator.ckpt)
  if builtin:
    from isf_jax.demo.worlds import world

    world(config.generator.ckpt).prepare_dataset(config, workdir)
  generator, lpips, frozen = load_frozen(config)
  nets = build_networks(config, generator, lpips)
  mesh = sharding.data_mesh()
  train_iter, test = _open_data(config, workdir)
  checkpoints = RunCheckpoints(workdir / "checkpoints", config.keep_checkpoints)
  state = _init_state(nets, config, test["wp"].shape[1:], sharding.replicated(mesh))
  state = checkpoints.restore_latest(state, train_iter, sharding.replicated(mesh))
  frozen = jax.device_put(frozen, sharding.replicated(mesh))
  write_samples = make_sampler(
    nets,
    config,
    frozen,
    jnp.asarray(test["wp"][:NUM_SAMPLES]),
    jnp.asarray(test["labels"][:NUM_SAMPLES], jnp.float32),
  )
  state, last, stopped = _train(
    config, workdir, nets, mesh, state, frozen, train_iter, checkpoints, write_samples
  )
  if stopped:
    return last
  if jax.process_index() == 0:
    export_isf(workdir / "isf_ema", config, state, test["wp"].shape[2])
  if builtin:
    from isf_jax.evaluation.end_of_run import evaluate_training_run

    last.update(evaluate_training_run(config, workdir, nets, state, frozen, test))
  return last


def _open_data(config, workdir):
  """(the sharded, resumable training iterator, the test split as numpy arrays)."""
  from isf_jax.data import pipeline

  data_dir = config.data.data_dir or str(workdir / "data")
  train_iter = pipeline.make_train_iterator(
    data_dir,
    config.data.name,
    config.data.train_split,
    config.global_batch_size,
    seed=config.seed,
    process_index=jax.process_index(),
    process_count=jax.process_count(),
    target_mode=config.data.target_mode,
    with_image=config.train.source_image == "dataset",
  )
  return train_iter, pipeline.load_split(data_dir, config.data.name, config.data.test_split)


def _init_state(nets, config, latent_shape, replicated):
  init = functools.partial(
    train_step.init_state,
    nets,
    config.seed,
    (config.global_batch_size, *latent_shape),  # [N, L, C]
    len(config.data.attributes),
  )
  return jax.jit(init, out_shardings=replicated)()


def _train(config, workdir, nets, mesh, state, frozen, train_iter, checkpoints, write_samples):
  """The loop: (final state, last metrics, whether SIGTERM stopped it)."""
  return run_steps(
    config, workdir, mesh, state, frozen, train_step.jit_train_step(nets, mesh),
    lambda index: next(train_iter), checkpoints, train_iter, write_samples, desc="train",
  )  # fmt: skip
