"""Train an implicit style function against a frozen StyleGAN2.

  python -m isf_jax.train --config configs/ffhq.py --workdir runs/ffhq [--config.x=...]

`train_and_evaluate(config, workdir)` is the library entry point (tests, notebooks). It
resumes from the latest checkpoint in `workdir/checkpoints` exactly (parameters, optimiser
states, EMA, step, PRNG key and input position), saves on SIGTERM, writes metrics to the
console, `metrics.jsonl` and TensorBoard, and fixed-seed sample grids to `samples/`. At the
end the EMA ISF is exported to `workdir/isf_ema` in the format of `python -m convert.isf`.
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
import jax.numpy as jnp
import ml_collections
import numpy as np
from absl import app, flags, logging
from ml_collections import config_flags
from tqdm import tqdm

from isf_jax import images, optim, sharding, train_step
from isf_jax.lpips.checkpoint import load_lpips
from isf_jax.models.discriminator import Discriminator
from isf_jax.models.isf import ISF
from isf_jax.stylegan2.networks import Generator


class NonFiniteLossError(FloatingPointError):
  """A loss term became NaN or infinite."""


def load_generator(config):
  """(module, variables) of the frozen StyleGAN2; "demo" is the random-weight demo model."""
  from isf_jax.stylegan2.checkpoint import load_generator as load

  ckpt = config.generator.ckpt
  if ckpt == "demo":
    from isf_jax.demo import demo_generator

    gen_config, variables = demo_generator()
  elif not ckpt or not Path(ckpt).exists():
    raise FileNotFoundError(
      f"generator checkpoint {ckpt!r} not found; make it with `{config.generator.make_command}` "
      "and pass --config.generator.ckpt=CKPT_DIR"
    )
  else:
    gen_config, variables = load(ckpt)
  if gen_config.num_ws != config.isf.num_layers and config.isf.latent == "wp":
    raise ValueError(
      f"generator has {gen_config.num_ws} W+ layers but config.isf.num_layers is "
      f"{config.isf.num_layers}"
    )
  return Generator(gen_config, dtype=jnp.dtype(config.train.frozen_dtype)), variables


def isf_kwargs(config) -> dict:
  return dict(
    num_layers=config.isf.num_layers,
    num_domains=len(config.data.attributes),
    latent=config.isf.latent,
    norm=config.isf.norm,
    pre_norm=config.isf.pre_norm,
    residual=config.isf.residual,
    hidden_dim=config.isf.hidden_dim,
  )


def build_networks(config, generator, lpips) -> train_step.Networks:
  num_domains = len(config.data.attributes)
  return train_step.Networks(
    isf=ISF(**isf_kwargs(config)),
    discriminator=Discriminator(
      img_size=config.train.img_size,
      num_domains=num_domains,
      dim_in=config.disc.dim_in or None,
      max_channels=config.disc.max_channels,
    ),
    generator=generator,
    lpips=lpips,
    isf_tx=optim.make_optimizer(config.optim, config.total_steps),
    d_tx=optim.make_optimizer(config.optim, config.total_steps),
    cfg=config.train,
  )


def load_frozen(config):
  """(generator module, LPIPS module, frozen variables) — never part of the train state."""
  generator, gen_vars = load_generator(config)
  lpips, lpips_vars = load_lpips(
    config.lpips.net,
    config.lpips.version,
    config.lpips.path or None,
    check_range=False,
    dtype=jnp.dtype(config.train.frozen_dtype),
  )
  return generator, lpips, {"generator": gen_vars, "lpips": lpips_vars}


class _MetricWriter:
  """Console (through tqdm), metrics.jsonl and TensorBoard (tensorboardX, process 0 only)."""

  def __init__(self, workdir: Path):
    self.enabled = jax.process_index() == 0
    if self.enabled:
      from tensorboardX import SummaryWriter

      self.tb = SummaryWriter(str(workdir / "tensorboard"))
      self.jsonl = open(workdir / "metrics.jsonl", "a")

  def write(self, step: int, metrics: dict):
    if not self.enabled:
      return
    for name, value in metrics.items():
      self.tb.add_scalar(name, value, step)
    self.jsonl.write(json.dumps({"step": step, **metrics}) + "\n")
    self.jsonl.flush()

  def close(self):
    if self.enabled:
      self.tb.close()
      self.jsonl.close()


def _check_finite(step: int, metrics: dict):
  bad = [name for name, value in metrics.items() if not math.isfinite(value)]
  if bad:
    raise NonFiniteLossError(f"non-finite loss at step {step}: {', '.join(sorted(bad))}")


def make_sampler(nets, config, frozen, wp, labels):
  """(state, path) -> writes a grid: the sources, then one row per attribute with that
  attribute flipped, translated by the EMA ISF with fixed noise."""

  @jax.jit
  def rows(isf_params, frozen):
    render = lambda w: nets.generator.apply(  # noqa: E731
      frozen["generator"], w, noise_mode="const", method="synthesize"
    )
    out = [render(wp)]
    for k in range(labels.shape[1]):
      targets = labels.at[:, k].set(1 - labels[:, k])
      noise = jax.random.normal(jax.random.PRNGKey(k), (wp.shape[0], config.train.noise_dim))
      out.append(render(nets.isf.apply({"params": isf_params}, wp, noise, targets)))
    return jnp.concatenate(out)

  def write(state, path):
    grid = images.to_uint8(rows(state.isf_ema_params, frozen))
    images.save_png(path, images.make_grid(grid, columns=wp.shape[0]))

  return write


def isf_checkpoint_config(config, w_dim: int) -> dict:
  """The `config.json` of an exported ISF: the convert.isf layout plus what editing needs."""
  return {
    "isf": dict(isf_kwargs(config), noise_dim=config.train.noise_dim, w_dim=w_dim),
    "discriminator": None,
    "attributes": list(config.data.attributes),
    "generator": config.generator.ckpt,
  }


def export_isf(path, config, state, w_dim: int) -> None:
  """Writes the EMA ISF in the format `python -m convert.isf` makes (loadable for editing)."""
  from isf_jax import checkpoints

  params = {"isf": jax.device_get(state.isf_ema_params)}
  meta = isf_checkpoint_config(config, w_dim)
  meta["step"] = int(state.step)
  checkpoints.save_directory(path, params, json.dumps(meta, indent=2), overwrite=True)


def _install_sigterm_flag():
  stop = {"requested": False}

  def handler(signum, frame):
    stop["requested"] = True

  previous = signal.signal(signal.SIGTERM, handler)
  return stop, previous


def train_and_evaluate(config: ml_collections.ConfigDict, workdir) -> dict:
  """Train to config.total_steps (resuming if possible); returns the last logged metrics."""
  import orbax.checkpoint as ocp

  from isf_jax.data import pipeline

  workdir = Path(workdir)
  workdir.mkdir(parents=True, exist_ok=True)
  if jax.process_index() == 0:
    (workdir / "config.json").write_text(config.to_json_best_effort(indent=2))

  if config.generator.ckpt == "demo":
    from isf_jax.demo import prepare_dataset

    prepare_dataset(config, workdir)
  generator, lpips, frozen = load_frozen(config)
  nets = build_networks(config, generator, lpips)

  mesh = sharding.data_mesh()
  replicated, batch_sharding = sharding.replicated(mesh), sharding.batch_sharded(mesh)
  if config.global_batch_size % jax.device_count():
    raise ValueError(
      f"global_batch_size {config.global_batch_size} is not divisible by "
      f"{jax.device_count()} devices"
    )
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
  test = pipeline.load_split(data_dir, config.data.name, config.data.test_split)
  num_ws = test["wp"].shape[1]
  state = jax.jit(
    functools.partial(
      train_step.init_state,
      nets,
      config.seed,
      (config.global_batch_size, num_ws, test["wp"].shape[2]),
      len(config.data.attributes),
    ),
    out_shardings=replicated,
  )()
  frozen = jax.device_put(frozen, replicated)

  ckpt_dir = (workdir / "checkpoints").absolute()
  manager = ocp.CheckpointManager(
    ckpt_dir,
    options=ocp.CheckpointManagerOptions(
      max_to_keep=config.keep_checkpoints, enable_async_checkpointing=True
    ),
    item_names=("state", "data"),
  )
  if manager.latest_step() is not None:
    abstract = jax.tree.map(
      lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=replicated), state
    )
    restored = manager.restore(
      manager.latest_step(),
      args=ocp.args.Composite(
        state=ocp.args.StandardRestore(abstract), data=ocp.args.JsonRestore()
      ),
    )
    state = restored["state"]
    train_iter.set_state(restored["data"][f"process_{jax.process_index()}"])

  def save(step):
    manager.save(
      step,
      args=ocp.args.Composite(
        state=ocp.args.StandardSave(state),
        data=ocp.args.JsonSave({f"process_{jax.process_index()}": train_iter.get_state()}),
      ),
    )

  step_fn = jax.jit(
    functools.partial(train_step.train_step, nets=nets),
    in_shardings=(replicated, replicated, batch_sharding),
    out_shardings=(replicated, replicated),
    donate_argnums=(0,),
  )
  samples = min(8, len(test["wp"]))
  write_samples = make_sampler(
    nets,
    config,
    frozen,
    jnp.asarray(test["wp"][:samples]),
    jnp.asarray(test["labels"][:samples], jnp.float32),
  )
  writer = _MetricWriter(workdir)
  stop, previous_handler = _install_sigterm_flag()
  start = int(state.step)
  last = {}
  pending = None  # (step, device metrics): fetched one step late so dispatch stays ahead
  t0 = time.time()
  try:
    with tqdm(
        total=config.total_steps, initial=start, unit="step", desc="train", file=sys.stderr,
        disable=jax.process_index() != 0,
    ) as bar:  # fmt: skip
      if start == 0 and jax.process_index() == 0:
        write_samples(state, workdir / "samples" / "step_000000.png")
      for step in range(start, config.total_steps):
        local = next(train_iter)
        batch = {
          k: jax.make_array_from_process_local_data(batch_sharding, np.asarray(v))
          for k, v in local.items()
        }
        with jax.transfer_guard("disallow"):  # everything the step needs is on device
          state, metrics = step_fn(state, frozen, batch)
        if pending is not None:
          last = _log(pending, writer, bar, config, t0, start)
        pending = (step + 1, metrics)
        bar.update(1)
        done = step + 1
        if done % config.sample_every_steps == 0 and jax.process_index() == 0:
          write_samples(state, workdir / "samples" / f"step_{done:06d}.png")
        if done % config.ckpt_every_steps == 0 or done == config.total_steps or stop["requested"]:
          save(done)
        if stop["requested"]:
          print(f"SIGTERM: saved a checkpoint at step {done}; exiting", file=sys.stderr)
          break
      if pending is not None:
        last = _log(pending, writer, bar, config, t0, start, force=True)
  finally:
    manager.wait_until_finished()
    manager.close()
    writer.close()
    signal.signal(signal.SIGTERM, previous_handler)
  if stop["requested"]:
    return last
  if jax.process_index() == 0:
    export_isf(workdir / "isf_ema", config, state, test["wp"].shape[2])
  if config.generator.ckpt == "demo":
    from isf_jax.evaluation import end_of_run

    last.update(end_of_run.evaluate_training_run(config, workdir, nets, state, frozen, test))
  return last


def _log(pending, writer, bar, config, t0, start, force=False):
  step, device_metrics = pending
  metrics = {k: float(v) for k, v in jax.device_get(device_metrics).items()}
  _check_finite(step, metrics)
  if force or step % config.log_every_steps == 0:
    metrics["steps_per_sec"] = (step - start) / max(time.time() - t0, 1e-9)
    writer.write(step, metrics)
    bar.set_postfix(d=f"{metrics['d/total']:.3f}", isf=f"{metrics['isf/total']:.3f}")
  return metrics


def _define_flags():
  """The command's flags, defined only when it runs, so that importing the trainer as a
  library defines none (the evaluate command defines its own --config and --workdir)."""
  config_flags.DEFINE_config_file("config", None, "config file", lock_config=True)
  flags.DEFINE_string("workdir", None, "where checkpoints, metrics and samples go")
  flags.DEFINE_string("coordinator", "", "jax.distributed coordinator host:port")
  flags.DEFINE_integer("num_processes", 1, "processes in a multi-host run")
  flags.DEFINE_integer("process_id", 0, "this process's index")
  flags.mark_flags_as_required(["config", "workdir"])


def main(argv):
  del argv
  f = flags.FLAGS
  if not f["verbosity"].present:
    logging.set_verbosity(logging.WARNING)  # orbax logs every checkpoint operation at INFO
  config, workdir = f.config, f.workdir
  if jax.process_count() == 1 and f.coordinator:
    jax.distributed.initialize(f.coordinator, f.num_processes, f.process_id)
  try:
    result = train_and_evaluate(config, workdir)
  except (FileNotFoundError, ValueError, NonFiniteLossError) as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)
  print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == "__main__":
  _define_flags()
  app.run(main)
