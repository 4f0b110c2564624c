"""The StyleGAN2 training loop: data parallel over the device mesh, resumable, exported at the end.

`train(config, workdir, images)` trains on uint8 images [N, R, R, 3] held in memory. It resumes
exactly from the latest orbax checkpoint in `workdir/checkpoints` (parameters, optimiser states,
EMA, step and PRNG key; batches are a pure function of (seed, step)), writes metrics to
`metrics.jsonl` and the console with rate and ETA, EMA sample grids to `samples/`, and at the
end the EMA generator, with w_avg from `config.export.w_avg_samples` latents, to
`workdir/generator_ema` in the project's generator checkpoint format. On SIGTERM it saves a
checkpoint at the current step and returns without exporting (rerun to go on, or rerun with
`total_steps` set to that step to export it).
"""

from __future__ import annotations

import functools
import json
import math
import signal
import sys
import time
from pathlib import Path

import jax
import ml_collections
import numpy as np

from isf_jax import figures, sharding
from isf_jax import images as image_io
from isf_jax.stylegan2 import training
from isf_jax.stylegan2.checkpoint import save_generator
from isf_jax.stylegan2.config import GeneratorConfig
from isf_jax.stylegan2.discriminator import Discriminator
from isf_jax.stylegan2.networks import Generator, mean_w


def generator_config(config) -> GeneratorConfig:
  g = config.generator
  return GeneratorConfig(
    resolution=config.resolution,
    channels=tuple(g.channels),
    z_dim=g.z_dim,
    w_dim=g.w_dim,
    mapping_layers=g.mapping_layers,
    mapping_lr_multiplier=g.mapping_lr_multiplier,
  )


def build_networks(config) -> training.Networks:
  return training.Networks(
    generator=Generator(generator_config(config)),
    discriminator=Discriminator(config.resolution, tuple(config.discriminator.channels)),
    g_tx=training.adam(config.optim),
    d_tx=training.adam(config.optim),
    cfg=config.train,
  )


def real_batch(images: np.ndarray, seed: int, step: int, batch: int) -> np.ndarray:
  """The reals of `step`: uniform draws with replacement, x-flipped at random; float32 [-1, 1]."""
  rng = np.random.default_rng([seed, step])
  picked = images[rng.integers(0, len(images), batch)]
  flip = rng.random(batch) < 0.5
  picked = np.where(flip[:, None, None, None], picked[:, :, ::-1], picked)
  return image_io.from_uint8(picked)


def make_sampler(nets: training.Networks, seed: int, count: int):
  """EMA samples of fixed z (const noise): `write(state, path)` saves a grid."""
  z = jax.random.normal(jax.random.key(seed), (count, nets.generator.config.z_dim))

  @jax.jit
  def render(variables):
    return nets.generator.apply(variables, z, noise_mode="const")

  def write(state, path):
    tiles = image_io.to_uint8(render(training.ema_variables(state)))  # [count, R, R, 3]
    title = f"step {int(state.step)}: EMA generator, z from key {seed}"
    grid = figures.captioned_tiles(tiles, [f"z {i}" for i in range(count)], title=title)
    image_io.save_png(path, grid)

  return write


def export_ema(path, config, state, overwrite: bool = True) -> None:
  """The EMA generator with w_avg = mean W of `w_avg_samples` latents."""
  gen_config = generator_config(config)
  variables = jax.tree.map(np.asarray, training.ema_variables(state))
  w_avg = mean_w(gen_config, variables, num_z=config.export.w_avg_samples, seed=config.seed)
  variables["buffers"]["mapping"]["w_avg"] = w_avg
  save_generator(path, gen_config, variables, overwrite=overwrite)


class _Progress:
  """metrics.jsonl plus a console line with the rate (steps/s, images/s) and the ETA."""

  def __init__(self, workdir: Path, config, start: int):
    self.jsonl = open(workdir / "metrics.jsonl", "a")
    self.config, self.start, self.t0 = config, start, time.time()

  def write(self, step: int, device_metrics) -> dict:
    metrics = {k: float(v) for k, v in jax.device_get(device_metrics).items()}
    bad = [k for k, v in metrics.items() if not math.isfinite(v)]
    if bad:
      raise FloatingPointError(f"non-finite {', '.join(bad)} at step {step}")
    elapsed = time.time() - self.t0
    rate = (step - self.start) / max(elapsed, 1e-9)
    metrics.update(steps_per_sec=rate, wall_s=elapsed)
    self.jsonl.write(json.dumps({"step": step, **metrics}) + "\n")
    self.jsonl.flush()
    eta = (self.config.total_steps - step) / max(rate, 1e-9)
    print(
      f"step {step}/{self.config.total_steps} {rate:.2f} it/s "
      f"{rate * self.config.train.batch_size:.0f} img/s ETA {eta / 60:.1f} min | "
      f"G {metrics['g/loss']:.3f} D {metrics['d/loss']:.3f} "
      f"real {metrics['scores/real']:+.2f} fake {metrics['scores/fake']:+.2f}",
      file=sys.stderr,
      flush=True,
    )
    return metrics

  def close(self):
    self.jsonl.close()


def _checkpoint_manager(workdir: Path, config):
  import orbax.checkpoint as ocp

  return ocp.CheckpointManager(
    (workdir / "checkpoints").absolute(),
    options=ocp.CheckpointManagerOptions(max_to_keep=config.keep_checkpoints),
  )


def restore_or_init(manager, nets, config, replicated):
  import orbax.checkpoint as ocp

  state = jax.jit(
    functools.partial(training.init_state, nets, config.seed, config.resolution),
    out_shardings=replicated,
  )()
  if manager.latest_step() is None:
    return state
  abstract = jax.tree.map(
    lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=replicated), state
  )
  return manager.restore(manager.latest_step(), args=ocp.args.StandardRestore(abstract))


def train(config: ml_collections.ConfigDict, workdir, images: np.ndarray) -> dict:
  """Train to config.total_steps (resuming if possible); returns the last logged metrics."""
  import orbax.checkpoint as ocp

  workdir = Path(workdir)
  workdir.mkdir(parents=True, exist_ok=True)
  (workdir / "config.json").write_text(config.to_json_best_effort(indent=2))
  expected = (config.resolution, config.resolution, 3)
  if images.dtype != np.uint8 or images.shape[1:] != expected:
    raise ValueError(f"expected uint8 images [N, {expected}], got {images.dtype} {images.shape}")
  batch = config.train.batch_size
  if batch % (4 * jax.device_count()):
    raise ValueError(f"batch_size {batch} must be a multiple of 4 x {jax.device_count()} devices")

  nets = build_networks(config)
  mesh = sharding.data_mesh()
  replicated, batch_sharding = sharding.replicated(mesh), sharding.batch_sharded(mesh)
  manager = _checkpoint_manager(workdir, config)
  state = restore_or_init(manager, nets, config, replicated)
  steps = {
    with_r1: jax.jit(
      functools.partial(training.train_step, nets=nets, with_r1=with_r1),
      in_shardings=(replicated, batch_sharding),
      out_shardings=(replicated, replicated),
      donate_argnums=(0,),
    )
    for with_r1 in (False, True)
  }
  write_samples = make_sampler(nets, config.seed, config.sample_count)
  progress = _Progress(workdir, config, int(state.step))
  last = {}
  stop = {"requested": False}
  previous_handler = signal.signal(signal.SIGTERM, lambda *_: stop.update(requested=True))
  try:
    for step in range(int(state.step), config.total_steps):
      reals = jax.device_put(real_batch(images, config.seed, step, batch), batch_sharding)
      state, metrics = steps[step % config.train.r1_interval == 0](state, reals)
      done = step + 1
      if done % config.log_every_steps == 0 or done == config.total_steps:
        last = progress.write(done, metrics)
      if done % config.sample_every_steps == 0 or done == config.total_steps:
        write_samples(state, workdir / "samples" / f"step_{done:06d}.png")
      if done % config.ckpt_every_steps == 0 or done == config.total_steps or stop["requested"]:
        manager.save(done, args=ocp.args.StandardSave(state))
      if stop["requested"]:
        print(f"SIGTERM: saved a checkpoint at step {done}; exiting", file=sys.stderr)
        return last
  finally:
    manager.wait_until_finished()
    manager.close()
    progress.close()
    signal.signal(signal.SIGTERM, previous_handler)
  export_ema(workdir / "generator_ema", config, state)
  return last
