"""Where a StyleGAN2 synthesis pass spends its time: each op kind timed alone, then summed.

  python -m bench.profile_generator --resolution 256 --batch 2

For every layer of the synthesis network (config-F channels unless told) the op is jitted
alone at that layer's shapes and timed forward, and forward+backward (gradients with respect
to its inputs, as the ISF step needs them), then summed per kind:

  modconv3x3   the shared-weight modulated 3x3 conv with demodulation (conv1 of each block)
  upconv       the same with the 2x up-convolution and its FIR blur (conv0 of each block)
  torgb        the 1x1 modulated conv to RGB
  skip_up      the FIR 2x upsampling of the RGB skip path
  noise_bias   noise add, bias, leaky ReLU, clamp
  mapping      the 8-layer mapping network (z -> w)

and compared with the whole network timed the same way (the difference is what the op sums
miss: layout changes, fusion across ops, dispatch). Prints JSON to stdout, a table to stderr.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
  sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from isf_jax.stylegan2 import GeneratorConfig, channels_from_base, init_generator, ops  # noqa: E402
from isf_jax.stylegan2.networks import MappingNetwork  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--resolution", type=int, default=256)
  p.add_argument("--channel-base", type=int, default=32768)
  p.add_argument("--channel-max", type=int, default=512)
  p.add_argument("--batch", type=int, default=2)
  p.add_argument("--iters", type=int, default=3)
  return p.parse_args(argv)


def timed(fn, *args, iters: int) -> tuple[float, float]:
  """Median seconds of forward and of forward+backward (grads w.r.t. all args)."""

  def scalar(*a):
    return jnp.mean(jnp.square(fn(*a)))

  out = []
  for f in (jax.jit(fn), jax.jit(jax.grad(scalar, argnums=tuple(range(len(args)))))):
    jax.block_until_ready(f(*args))
    times = []
    for _ in range(iters):
      t0 = time.perf_counter()
      jax.block_until_ready(f(*args))
      times.append(time.perf_counter() - t0)
    out.append(statistics.median(times))
  return out[0], out[1]


def layer_ops(config: GeneratorConfig, batch: int):
  """(kind, fn, args) for every layer, at the network's shapes."""
  counter = itertools.count()
  normal = lambda *shape: jax.random.normal(jax.random.key(next(counter)), shape)  # noqa: E731
  for res in [r for r in (2**i for i in range(2, 11)) if r <= config.resolution]:
    c_out = config.channels_at(res)
    c_in = config.channels_at(max(res // 2, 4))
    x_out = normal(batch, res, res, c_out)
    if res > 4:
      yield (
        "upconv",
        (
          lambda x, s, w: ops.modulated_conv2d(x, w, s, demodulate=True, up=True),
          (normal(batch, res // 2, res // 2, c_in), normal(batch, c_in), normal(3, 3, c_in, c_out)),
        ),
      )
      yield "skip_up", (ops.upsample_2x, (normal(batch, res // 2, res // 2, 3),))
    yield (
      "modconv3x3",
      (
        lambda x, s, w: ops.modulated_conv2d(x, w, s, demodulate=True),
        (x_out, normal(batch, c_out), normal(3, 3, c_out, c_out)),
      ),
    )
    yield (
      "torgb",
      (
        lambda x, s, w: ops.modulated_conv2d(x, w, s, demodulate=False),
        (x_out, normal(batch, c_out), normal(1, 1, c_out, 3)),
      ),
    )
    for _ in range(1 if res == 4 else 2):  # one noise/bias/act per conv layer
      yield (
        "noise_bias",
        (
          lambda x, n, b: ops.bias_act(x + n, b, activate=True, clamp=256.0),
          (x_out, normal(1, res, res, 1), normal(c_out)),
        ),
      )


def run(args) -> dict:
  channels = channels_from_base(args.resolution, args.channel_base, args.channel_max)
  config = GeneratorConfig(resolution=args.resolution, channels=channels, z_dim=512, w_dim=512)
  kinds: dict[str, list[float]] = {}
  for kind, (fn, fn_args) in layer_ops(config, args.batch):
    fwd, bwd = timed(fn, *fn_args, iters=args.iters)
    sums = kinds.setdefault(kind, [0.0, 0.0])
    sums[0] += fwd
    sums[1] += bwd
  mapping = MappingNetwork(config)
  z = jax.random.normal(jax.random.key(1), (args.batch, 512))
  mapping_vars = mapping.init(jax.random.key(2), z)
  kinds["mapping"] = list(timed(lambda z: mapping.apply(mapping_vars, z), z, iters=args.iters))
  model, variables = init_generator(config, seed=0)
  ws = jax.random.normal(jax.random.key(3), (args.batch, config.num_ws, config.w_dim))
  whole = timed(
    lambda ws: model.apply(variables, ws, noise_mode="const", method="synthesize"),
    ws,
    iters=args.iters,
  )
  return {
    "resolution": args.resolution,
    "batch": args.batch,
    "channels": list(config.channels),
    "ms_per_image": {k: [1e3 * t / args.batch for t in v] for k, v in kinds.items()},
    "synthesis_ms_per_image": [1e3 * t / args.batch for t in whole],
    "loadavg": list(os.getloadavg()),
    "jax_version": jax.__version__,
  }


def main(argv=None) -> None:
  report = run(parse_args(argv))
  total = [sum(v[i] for k, v in report["ms_per_image"].items() if k != "mapping") for i in (0, 1)]
  print(
    f"{'op kind':<12} {'fwd ms/img':>11} {'share':>6} {'fwd+bwd ms/img':>15} {'share':>6}",
    file=sys.stderr,
  )
  for kind, (fwd, bwd) in sorted(report["ms_per_image"].items(), key=lambda kv: -kv[1][1]):
    print(
      f"{kind:<12} {fwd:>11.1f} {fwd / total[0]:>6.0%} {bwd:>15.1f} {bwd / total[1]:>6.0%}",
      file=sys.stderr,
    )
  whole = report["synthesis_ms_per_image"]
  print(f"{'ops summed':<12} {total[0]:>11.1f} {'':>6} {total[1]:>15.1f}", file=sys.stderr)
  print(f"{'synthesis':<12} {whole[0]:>11.1f} {'':>6} {whole[1]:>15.1f}", file=sys.stderr)
  print(json.dumps(report, indent=2))


if __name__ == "__main__":
  main()
