"""Benchmark one ISF-GAN iteration (D step + ISF step) and the frozen generator.

  python -m bench.train_step --setting small                 # demo-world sizes (CPU)
  python -m bench.train_step --setting ffhq                  # 1024 px G, 256 px D, batch 16
  python -m bench.train_step --setting small --devices 1,2,4 --simulate-cpu-devices 4
  python -m bench.train_step --setting ffhq --no-run         # compile + XLA cost only

For each device count the jitted, donated, data-parallel step (the trainer's) is compiled
ahead of time (compile time reported apart), then timed to completion. Reported: seconds
per iteration, iterations and images per second, XLA's FLOPs and bytes per iteration, the
compiled program's memory (and the device's peak where the backend reports it), achieved
FLOP/s against the device's measured matmul peak, strong-scaling efficiency at a fixed global
batch, and the generator's forward images per second. Networks have random weights (same
cost as real ones). Prints one JSON object to stdout and a short table to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
  sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SETTINGS = ("small", "ffhq")


def parse_args(argv=None) -> argparse.Namespace:
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--setting", choices=SETTINGS, default="small")
  p.add_argument("--devices", default="", help="comma list of device counts (default: all)")
  p.add_argument(
    "--simulate-cpu-devices", type=int, default=0, help="N host devices (CPU scaling runs)"
  )
  p.add_argument("--batch", type=int, default=0, help="global batch (default: the config's)")
  p.add_argument("--iters", type=int, default=5)
  p.add_argument("--warmup", type=int, default=1)
  p.add_argument("--no-run", action="store_true", help="compile and cost analysis only")
  p.add_argument("--skip-generator", action="store_true", help="no generator throughput")
  p.add_argument(
    "--frozen-dtype", choices=("float32", "bfloat16"), default="float32", help="G and LPIPS"
  )
  p.add_argument("--remat", action="store_true", help="rematerialise the generator")
  p.add_argument(
    "--generator-resolution", type=int, default=0, help="ffhq: smaller G (smoke runs on a CPU)"
  )
  p.add_argument("--image-size", type=int, default=0, help="D and loss size (default: config's)")
  p.add_argument(
    "--generator",
    default="",
    help="a StyleGAN2 checkpoint (isf_jax.load_generator spec) instead of random weights",
  )
  args = p.parse_args(argv)
  try:
    args.devices = [int(d) for d in args.devices.split(",") if d.strip()]
  except ValueError:
    p.error(f"--devices takes a comma list of integers, got {args.devices!r}")
  if args.iters < 1 or args.warmup < 1 or any(d < 1 for d in args.devices):
    p.error("--iters, --warmup and device counts must be >= 1")
  return args


def setting_config(
  name: str,
  batch: int,
  frozen_dtype="float32",
  remat=False,
  gen_resolution=0,
  image_size=0,
  gen_config=None,
):
  """The trainer config of a setting, its generator config, and the global batch.

  `gen_resolution` and `image_size` (0: the setting's) shrink the ffhq setting for smoke runs;
  `gen_config` (a loaded generator's) replaces the setting's generator.
  """
  from configs import demo, ffhq
  from isf_jax.demo import demo_generator_config
  from isf_jax.stylegan2 import GeneratorConfig, channels_from_base

  loaded_config = gen_config
  if name == "small":
    config, gen_config = demo.get_config(), demo_generator_config()
  else:
    config = ffhq.get_config()
    res = gen_resolution or 1024
    gen_config = GeneratorConfig(
      resolution=res, channels=channels_from_base(res), z_dim=512, w_dim=512, mapping_layers=8
    )
    config.isf.num_layers = gen_config.num_ws
  if loaded_config is not None:
    gen_config = loaded_config
    config.isf.num_layers = gen_config.num_ws
  if image_size:
    config.train.img_size = image_size
  config.train.frozen_dtype = frozen_dtype
  config.train.remat_generator = remat
  return config, gen_config, batch or config.global_batch_size


def build(config, gen_config, gen_vars=None):
  """(Networks, frozen variables) as the trainer builds them; random weights unless given."""
  import jax
  import jax.numpy as jnp

  from isf_jax.lpips import LPIPS
  from isf_jax.stylegan2 import Generator, init_generator
  from isf_jax.training import networks

  dtype = jnp.dtype(config.train.frozen_dtype)
  if gen_vars is None:
    _, gen_vars = init_generator(gen_config, seed=0)
  generator = Generator(gen_config, dtype=dtype)
  lpips = LPIPS(config.lpips.net, config.lpips.version, check_range=False, dtype=dtype)
  x = jnp.zeros((1, 64, 64, 3))
  lpips_vars = jax.jit(lpips.init)(jax.random.key(1), x, x)
  nets = networks.build_networks(config, generator, lpips)
  return nets, {"generator": gen_vars, "lpips": lpips_vars}


def fake_batch(config, gen_config, batch: int) -> dict:
  import numpy as np

  rng = np.random.default_rng(0)
  k = len(config.data.attributes)
  return {
    "wp": rng.normal(size=(batch, gen_config.num_ws, gen_config.w_dim)).astype(np.float32),
    "labels": rng.integers(0, 2, (batch, k)).astype(np.float32),
    "target_labels": rng.integers(0, 2, (batch, k)).astype(np.float32),
  }


def matmul_peak_flops(n: int) -> float:
  """The device's measured float32 matmul rate (FLOP/s): the reference for utilisation."""
  import jax
  import jax.numpy as jnp

  a = jax.random.normal(jax.random.key(0), (n, n), jnp.float32)
  f = jax.jit(lambda a: a @ a)
  jax.block_until_ready(f(a))
  times = []
  for _ in range(5):
    t0 = time.perf_counter()
    jax.block_until_ready(f(a))
    times.append(time.perf_counter() - t0)
  return 2 * n**3 / min(times)


def _memory(compiled) -> dict:
  stats = compiled.memory_analysis()
  if stats is None:
    return {}
  fields = ("argument", "output", "temp", "alias", "generated_code")
  out = {f"{f}_bytes": int(getattr(stats, f"{f}_size_in_bytes", 0)) for f in fields}
  out["program_peak_bytes"] = (
    out["argument_bytes"] + out["output_bytes"] + out["temp_bytes"] - out["alias_bytes"]
  )
  return out


def time_step(nets, frozen, state, batch, devices, args) -> dict:
  """Compile the trainer's step for a mesh of `devices`, then time it (state is donated)."""
  import jax

  from isf_jax import sharding, train_step

  mesh = sharding.data_mesh(devices)
  replicated, sharded = sharding.replicated(mesh), sharding.batch_sharded(mesh)
  state = jax.device_put(jax.tree.map(lambda x: x.copy(), state), replicated)
  frozen = jax.device_put(frozen, replicated)
  batch = jax.device_put(batch, sharded)
  step = train_step.jit_train_step(nets, mesh)
  t0 = time.perf_counter()
  compiled = step.lower(state, frozen, batch).compile()
  result = {"devices": len(devices), "compile_s": time.perf_counter() - t0}
  cost = compiled.cost_analysis() or {}
  cost = cost[0] if isinstance(cost, list) else cost
  result["flops"] = float(cost.get("flops", 0.0))  # one device's program
  result["bytes_accessed"] = float(cost.get("bytes accessed", 0.0))
  result["memory"] = _memory(compiled)
  if args.no_run:
    return result
  with jax.transfer_guard("disallow"):  # the timed loop must not copy between host and device
    state, metrics = compiled(state, frozen, batch)
    first_metrics = metrics  # from the fixed initial state and batch: compare across dtypes
    for _ in range(args.warmup - 1):
      state, metrics = compiled(state, frozen, batch)
    jax.block_until_ready(state)
    times = []
    for _ in range(args.iters):
      t = time.perf_counter()
      state, metrics = compiled(state, frozen, batch)
      jax.block_until_ready(state)
      times.append(time.perf_counter() - t)
  result["median_s"] = statistics.median(times)
  result["min_s"] = min(times)
  result["iters_per_s"] = 1 / result["median_s"]
  result["images_per_s"] = batch["wp"].shape[0] / result["median_s"]
  result["finite"] = bool(all(jax.numpy.isfinite(v) for v in jax.device_get(metrics).values()))
  result["first_step_metrics"] = {k: float(v) for k, v in jax.device_get(first_metrics).items()}
  stats = devices[0].memory_stats() or {}
  if "peak_bytes_in_use" in stats:
    result["device_peak_bytes"] = int(stats["peak_bytes_in_use"])
  return result


def generator_throughput(nets, frozen, gen_config, batch: int, args) -> dict:
  import jax

  from bench.generator import make_fns, time_fn

  ws = jax.random.normal(jax.random.key(2), (batch, gen_config.num_ws, gen_config.w_dim))
  stats, _ = time_fn(make_fns(nets.generator)["forward"], (frozen["generator"], ws), 3, 1)
  return {
    "batch": batch,
    "resolution": gen_config.resolution,
    "compile_s": stats["compile_s"],
    "images_per_s": batch / stats["median_s"],
  }


def run(args: argparse.Namespace) -> dict:
  import jax

  from isf_jax import train_step
  from isf_jax.generators import read_generator
  from isf_jax.stylegan2 import GeneratorConfig

  loaded_config, loaded_vars = read_generator(args.generator) if args.generator else (None, None)
  if loaded_config is not None and not isinstance(loaded_config, GeneratorConfig):
    raise SystemExit(f"error: --generator {args.generator}: not a StyleGAN2 generator")
  config, gen_config, batch = setting_config(
    args.setting,
    args.batch,
    args.frozen_dtype,
    args.remat,
    args.generator_resolution,
    args.image_size,
    loaded_config,
  )
  counts = args.devices or [jax.device_count()]
  if max(counts) > jax.device_count():
    raise SystemExit(f"error: {max(counts)} devices asked, {jax.device_count()} available")
  if any(batch % n for n in counts):
    raise SystemExit(f"error: global batch {batch} is not divisible by every count in {counts}")
  t0 = time.perf_counter()
  nets, frozen = build(config, gen_config, loaded_vars)
  state = jax.jit(
    lambda: train_step.init_state(
      nets, 0, (batch, gen_config.num_ws, gen_config.w_dim), len(config.data.attributes)
    )
  )()
  init_s = time.perf_counter() - t0
  data = fake_batch(config, gen_config, batch)
  per_count = [time_step(nets, frozen, state, data, jax.devices()[:n], args) for n in counts]
  peak = matmul_peak_flops(4096 if jax.default_backend() != "cpu" else 1024)
  for r in per_count:
    if "median_s" in r:
      r["achieved_flops_per_s"] = r["flops"] / r["median_s"]
      r["fraction_of_matmul_peak"] = r["achieved_flops_per_s"] / peak
  base = next((r for r in per_count if r["devices"] == 1 and "median_s" in r), None)
  for r in per_count:
    if base and "median_s" in r:
      r["scaling_efficiency"] = base["median_s"] / (r["devices"] * r["median_s"])
  report = {
    "setting": args.setting,
    "backend": jax.default_backend(),
    "device_kind": jax.devices()[0].device_kind,
    "device_count": jax.device_count(),
    "jax_version": jax.__version__,
    "global_batch": batch,
    "frozen_dtype": args.frozen_dtype,
    "remat_generator": args.remat,
    "generator_resolution": gen_config.resolution,
    "generator_checkpoint": args.generator or "random weights",
    "image_size": config.train.img_size,
    "init_s": init_s,
    "matmul_peak_flops_per_s": peak,
    "loadavg": list(os.getloadavg()),
    "steps": per_count,
  }
  if not args.skip_generator and not args.no_run:
    per_device = batch // max(counts)
    report["generator"] = generator_throughput(nets, frozen, gen_config, per_device, args)
  return report


def print_table(report: dict, file=sys.stderr) -> None:
  print(
    f"{report['setting']}: {report['backend']} ({report['device_kind']}), "
    f"G {report['generator_resolution']} px, D {report['image_size']} px, "
    f"global batch {report['global_batch']}, jax {report['jax_version']}",
    file=file,
  )
  print(
    f"{'devices':>7} {'compile s':>9} {'s/iter':>8} {'img/s':>7} {'GFLOP/iter':>10} "
    f"{'util':>6} {'scaling':>7} {'program MB':>10}",
    file=file,
  )
  for r in report["steps"]:
    s_iter = f"{r['median_s']:.3f}" if "median_s" in r else "-"
    img_s = f"{r['images_per_s']:.1f}" if "median_s" in r else "-"
    util = f"{r['fraction_of_matmul_peak']:.1%}" if "fraction_of_matmul_peak" in r else "-"
    scaling = f"{r['scaling_efficiency']:.0%}" if "scaling_efficiency" in r else "-"
    mem = r["memory"].get("program_peak_bytes", 0) / 2**20
    print(
      f"{r['devices']:>7} {r['compile_s']:>9.1f} {s_iter:>8} {img_s:>7} "
      f"{r['flops'] / 1e9:>10.1f} {util:>6} {scaling:>7} {mem:>10.0f}",
      file=file,
    )
  if "generator" in report:
    g = report["generator"]
    print(
      f"generator forward: {g['images_per_s']:.1f} img/s at {g['resolution']} px, "
      f"batch {g['batch']}",
      file=file,
    )


def main(argv=None) -> None:
  args = parse_args(argv)
  if args.simulate_cpu_devices:
    os.environ["JAX_PLATFORMS"] = "cpu"
    os.environ["XLA_FLAGS"] = (
      os.environ.get("XLA_FLAGS", "")
      + f" --xla_force_host_platform_device_count={args.simulate_cpu_devices}"
    )
  report = run(args)
  print_table(report)
  print(json.dumps(report, indent=2))


if __name__ == "__main__":
  main()
