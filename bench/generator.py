"""Benchmark a synthesis network: StyleGAN2 (fused vs unfused modulated conv) or StyleGAN v1.

Times W+ -> image (forward) and its gradient w.r.t. W+ (forward + backward, the cost of
an ISF-GAN training step through the frozen generator) for each StyleGAN2 modconv form, or
for the one StyleGAN v1 network (`--kind stylegan1`), with the compile time reported apart
from the execution time.

  python -m bench.generator --resolution 16 --channel-base 256 --channel-max 32 --batch 2
  python -m bench.generator --kind stylegan1 --resolution 1024 --channel-base 16384

Channels are min(channel_base // res, channel_max) for both kinds: StyleGAN2 config F is
channel_base 32768, the official StyleGAN v1 FFHQ generator 16384 (NVlabs fmap_base 8192).

Prints one JSON object to stdout and a short table to stderr.
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
  # Run as `python bench/generator.py`: make `isf_jax` importable from a plain checkout.
  sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from isf_jax import stylegan1  # noqa: E402
from isf_jax.stylegan2 import (  # noqa: E402
  Generator,
  GeneratorConfig,
  channels_from_base,
  init_generator,
)

KINDS = ("stylegan2", "stylegan1")

DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}
MODES = ("forward", "backward")
MODE_KEYS = {"forward": "forward", "backward": "forward_backward"}


def parse_args(argv=None) -> argparse.Namespace:
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--kind", choices=KINDS, default="stylegan2", help="generator architecture")
  p.add_argument("--resolution", type=int, default=64)
  p.add_argument("--channel-base", type=int, default=32768)
  p.add_argument("--channel-max", type=int, default=512)
  p.add_argument("--batch", type=int, default=4)
  p.add_argument(
    "--fused",
    choices=("auto", "true", "false", "both"),
    default="both",
    help="StyleGAN2 modconv form(s); ignored for stylegan1",
  )
  p.add_argument(
    "--fused-upsample-min-res",
    type=int,
    default=128,
    help="stylegan1: blocks from this resolution up use the fused transposed conv (NVlabs 'auto')",
  )
  p.add_argument("--dtype", choices=tuple(DTYPES), default="float32")
  p.add_argument("--iters", type=int, default=5, help="timed executions per form and mode")
  p.add_argument("--warmup", type=int, default=1, help="untimed executions after compiling")
  p.add_argument("--modes", default="forward,backward", help="comma list of forward,backward")
  p.add_argument("--seed", type=int, default=0)
  args = p.parse_args(argv)
  args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
  bad = [m for m in args.modes if m not in MODES]
  if bad or not args.modes:
    p.error(f"--modes takes a comma list of {MODES}, got {bad or 'nothing'}")
  if args.iters < 1 or args.warmup < 0 or args.batch < 1:
    p.error("--iters and --batch must be >= 1, --warmup >= 0")
  return args


def fused_forms(choice: str) -> list[bool]:
  if choice == "both":
    return [False, True]
  if choice == "auto":
    return [False]  # the Generator's default form
  return [choice == "true"]


def form_name(fused: bool | None) -> str:
  if fused is None:
    return "stylegan1"  # one form: each block's upsampling is fixed by the weights
  return "fused" if fused else "unfused"


def make_config(args: argparse.Namespace):
  channels = channels_from_base(args.resolution, args.channel_base, args.channel_max)
  if args.kind == "stylegan1":
    return stylegan1.GeneratorConfig(
      resolution=args.resolution,
      channels=channels,
      fused_upsample_min_res=args.fused_upsample_min_res,
    )
  return GeneratorConfig(
    resolution=args.resolution, channels=channels, z_dim=512, w_dim=512, mapping_layers=8
  )


def make_model(config, fused: bool | None, dtype):
  if fused is None:
    return stylegan1.Generator(config, dtype=dtype)
  return Generator(config, fused_modconv=fused, dtype=dtype)


def make_fns(model: Generator):
  """Forward and forward+backward, with the variables as arguments.

  Passing the variables (rather than closing over them) keeps XLA from constant-folding
  the weights, as in real use where they come from a checkpoint.
  """

  def forward(variables, ws):
    return model.apply(variables, ws, noise_mode="const", method="synthesize")

  def loss(ws, variables):
    img = forward(variables, ws).astype(jnp.float32)
    return jnp.mean(jnp.square(img))

  grad_ws = jax.grad(loss)

  def forward_backward(variables, ws):
    return grad_ws(ws, variables)

  return {"forward": forward, "backward": forward_backward}


def time_fn(fn, args, iters: int, warmup: int) -> tuple[dict, jax.Array]:
  """Compile `fn` ahead of time, then time `iters` executions to completion."""
  t0 = time.perf_counter()
  lowered = jax.jit(fn).lower(*args)
  t1 = time.perf_counter()
  compiled = lowered.compile()
  t2 = time.perf_counter()
  out = None
  for _ in range(warmup):
    out = jax.block_until_ready(compiled(*args))
  times = []
  for _ in range(iters):
    start = time.perf_counter()
    out = jax.block_until_ready(compiled(*args))
    times.append(time.perf_counter() - start)
  return {
    "compile_s": t2 - t0,  # trace + lower + XLA compile: what a first call pays
    "lower_s": t1 - t0,
    "median_s": statistics.median(times),
    "min_s": min(times),
    "times_s": times,
  }, out


def run(args: argparse.Namespace) -> dict:
  dtype = DTYPES[args.dtype]
  config = make_config(args)
  forms = [None] if args.kind == "stylegan1" else fused_forms(args.fused)
  ws = jax.random.normal(
    jax.random.key(args.seed + 1), (args.batch, config.num_ws, config.w_dim), jnp.float32
  )

  # Both forms have the same variables; init once and reuse them. The init is a jit of
  # its own (seconds on CPU), reported as init_s so it isn't mistaken for a form's cost.
  load_before = os.getloadavg()
  t0 = time.perf_counter()
  if args.kind == "stylegan1":
    _, variables = stylegan1.init_generator(config, seed=args.seed, dtype=dtype)
  else:
    _, variables = init_generator(config, seed=args.seed, fused_modconv=forms[0], dtype=dtype)
  jax.block_until_ready(variables)
  init_s = time.perf_counter() - t0

  results, outputs = {}, {}
  for fused in forms:
    fns = make_fns(make_model(config, fused, dtype))
    per_mode = {}
    for mode in args.modes:
      stats, out = time_fn(fns[mode], (variables, ws), args.iters, args.warmup)
      stats["images_per_s"] = args.batch / stats["median_s"]
      stats["ms_per_image"] = 1e3 * stats["median_s"] / args.batch
      stats["finite"] = bool(np.isfinite(np.asarray(out, np.float32)).all())
      per_mode[MODE_KEYS[mode]] = stats
      outputs[(fused, mode)] = np.asarray(out, np.float32)
    results[form_name(fused)] = per_mode

  report = {
    "backend": jax.default_backend(),
    "device_kind": jax.devices()[0].device_kind,
    "device_count": jax.device_count(),
    "jax_version": jax.__version__,
    "config": {
      "kind": args.kind,
      "resolution": config.resolution,
      "channel_base": args.channel_base,
      "channel_max": args.channel_max,
      "channels": list(config.channels),
      "num_ws": config.num_ws,
      "batch": args.batch,
      "dtype": args.dtype,
      "iters": args.iters,
      "warmup": args.warmup,
      "modes": [MODE_KEYS[m] for m in args.modes],
      "forms": [form_name(f) for f in forms],
      "fused_upsample_min_res": getattr(config, "fused_upsample_min_res", None),
    },
    "init_s": init_s,
    # Load averages (1, 5, 15 min) around the run: a busy machine skews the timings.
    "loadavg_before": list(load_before),
    "loadavg_after": list(os.getloadavg()),
    "results": results,
    # StyleGAN2 only (None for stylegan1, which has no modconv).
    "default_fused_modconv": False if args.kind == "stylegan2" else None,
    "recommended_fused_modconv": recommend(results, args.modes),
  }
  if len(forms) == 2:
    # The two forms compute the same numbers; a large gap means a bug, not a speed-up.
    report["max_abs_diff_fused_vs_unfused"] = {
      MODE_KEYS[m]: float(np.max(np.abs(outputs[(True, m)] - outputs[(False, m)])))
      for m in args.modes
    }
  return report


def recommend(results: dict, modes: list[str]) -> bool | None:
  """The faster form in forward+backward (forward if that was all that ran)."""
  key = "forward_backward" if "backward" in modes else "forward"
  timed = {name: r[key]["median_s"] for name, r in results.items()}
  if len(timed) < 2:
    return None  # nothing to compare
  return min(timed, key=timed.get) == "fused"


def print_table(report: dict, file=sys.stderr) -> None:
  cfg = report["config"]
  print(
    f"{report['backend']} ({report['device_kind']}), jax {report['jax_version']}: "
    f"{cfg['kind']} {cfg['resolution']} px, channels {cfg['channels']}, "
    f"batch {cfg['batch']}, {cfg['dtype']}",
    file=file,
  )
  load = ", ".join(f"{x:.2f}" for x in report["loadavg_after"])
  print(f"init {report['init_s']:.1f} s, load average after {load}", file=file)
  header = f"{'form':<9} {'mode':<16} {'compile s':>9} {'median ms':>10} {'min ms':>9}"
  header += f" {'img/s':>8} {'ms/img':>8}"
  print(header, file=file)
  for form, per_mode in report["results"].items():
    for mode, r in per_mode.items():
      print(
        f"{form:<9} {mode:<16} {r['compile_s']:>9.2f} {1e3 * r['median_s']:>10.1f} "
        f"{1e3 * r['min_s']:>9.1f} {r['images_per_s']:>8.2f} {r['ms_per_image']:>8.1f}",
        file=file,
      )
  results = report["results"]
  if len(results) == 2:
    for mode in cfg["modes"]:
      ratio = results["fused"][mode]["median_s"] / results["unfused"][mode]["median_s"]
      print(f"fused / unfused median time, {mode}: {ratio:.2f}x", file=file)
  if cfg["kind"] == "stylegan2":
    print(f"recommended fused_modconv: {report['recommended_fused_modconv']}", file=file)


def main(argv=None) -> None:
  report = run(parse_args(argv))
  print_table(report)
  print(json.dumps(report, indent=2))


if __name__ == "__main__":
  main()
