"""The GPU check of issue 16, one command: FFHQ iterations, generator throughput, parity.

  bash bench/device_check.sh              # on the accelerator (<= 8 min on one H100)
  bash bench/device_check.sh --smoke      # the same steps on a CPU, FFHQ setting reduced

Runs, each in its own process (so that each peak memory is its own and an out-of-memory
failure is recorded, not fatal):
  1. one ISF-GAN iteration at the FFHQ setting (1024 px generator, 256 px D and losses,
     global batch 16) with float32 and with bfloat16 frozen networks (bench/train_step.py);
  2. the generator's forward images/s at 1024 px (bench/generator.py);
  3. the parity tests at the highest matmul precision (TF32 would exceed their tolerances);
  4. the same iteration with the generator rematerialised, float32 and bfloat16.
A step that would start after the time budget is recorded as skipped. Prints one JSON
object to stdout (and writes it to --out); progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARITY_TESTS = [
  "tests/test_stylegan2_ops.py",
  "tests/test_stylegan2_parity.py",
  "tests/test_lpips.py",
]
# The FFHQ setting, and the smoke run's reduction of it: batch 2, a 64 px generator with
# config-F channels and 32 px losses, so that a 2-core CPU gets through all steps in minutes.
FULL = {"batch": 16, "generator_resolution": 1024, "image_size": 256, "iters": 5}
SMOKE = {"batch": 2, "generator_resolution": 64, "image_size": 32, "iters": 1}
# (frozen dtype, remat): the variants in the order they run.
VARIANTS = [("float32", False), ("bfloat16", False), ("float32", True), ("bfloat16", True)]


def parse_args(argv=None) -> argparse.Namespace:
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument(
    "--smoke",
    action="store_true",
    default=os.environ.get("DEVICE_CHECK_SMOKE", "") not in ("", "0"),
    help="reduced FFHQ setting, for a CPU (or set DEVICE_CHECK_SMOKE=1)",
  )
  p.add_argument(
    "--budget-s", type=float, default=0.0, help="start no step after this (450; smoke: none)"
  )
  p.add_argument("--out", default="", help="also write the JSON here")
  args = p.parse_args(argv)
  args.budget_s = args.budget_s or (float("inf") if args.smoke else 450.0)
  return args


def run_json(cmd: list[str], env: dict | None = None) -> dict:
  """Run a bench module; its stdout is one JSON object. Failures come back as a dict."""
  t0 = time.perf_counter()
  proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
  wall = time.perf_counter() - t0
  if proc.returncode != 0:
    tail = proc.stderr.strip().splitlines()[-3:]
    return {"error": f"exit {proc.returncode}", "stderr_tail": tail, "wall_s": wall}
  report = json.loads(proc.stdout)
  report["wall_s"] = wall
  return report


def train_iteration(sizes: dict, dtype: str, remat: bool) -> dict:
  cmd = [sys.executable, "-m", "bench.train_step", "--setting", "ffhq", "--skip-generator"]
  cmd += ["--batch", str(sizes["batch"]), "--iters", str(sizes["iters"])]
  cmd += ["--generator-resolution", str(sizes["generator_resolution"])]
  cmd += ["--image-size", str(sizes["image_size"]), "--frozen-dtype", dtype]
  report = run_json(cmd + (["--remat"] if remat else []))
  if "error" in report:
    return report
  step = report["steps"][0]
  keys = ("compile_s", "median_s", "min_s", "images_per_s", "flops", "bytes_accessed")
  keys += ("achieved_flops_per_s", "fraction_of_matmul_peak", "device_peak_bytes", "finite")
  out = {k: step[k] for k in keys if k in step}
  out["program_peak_bytes"] = step["memory"].get("program_peak_bytes")
  out["matmul_peak_flops_per_s"] = report["matmul_peak_flops_per_s"]
  out["first_step_metrics"] = step.get("first_step_metrics", {})
  out["wall_s"] = report["wall_s"]
  return out


def generator_throughput(sizes: dict) -> dict:
  cmd = [sys.executable, "-m", "bench.generator", "--fused", "false", "--modes", "forward"]
  cmd += ["--resolution", str(sizes["generator_resolution"]), "--batch", str(sizes["batch"])]
  cmd += ["--iters", str(max(sizes["iters"], 2))]
  report = run_json(cmd)
  if "error" in report:
    return report
  forward = report["results"]["unfused"]["forward"]
  return {
    "resolution": sizes["generator_resolution"],
    "batch": sizes["batch"],
    "images_per_s": forward["images_per_s"],
    "compile_s": forward["compile_s"],
    "wall_s": report["wall_s"],
  }


def parity_tests() -> dict:
  env = dict(os.environ, JAX_DEFAULT_MATMUL_PRECISION="highest")
  cmd = [sys.executable, "-m", "pytest", *PARITY_TESTS, "-n", "0", "-q", "-p", "no:cacheprovider"]
  t0 = time.perf_counter()
  proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
  summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
  return {
    "passed": proc.returncode == 0,
    "summary": summary,
    "matmul_precision": "highest",
    "wall_s": time.perf_counter() - t0,
  }


def device_info() -> dict:
  code = "import jax,json;d=jax.devices()[0];print(json.dumps([jax.__version__,"
  code += "jax.default_backend(),d.device_kind,jax.device_count()]))"
  out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
  version, backend, kind, count = json.loads(out.stdout)
  return {"jax_version": version, "backend": backend, "device_kind": kind, "device_count": count}


def main(argv=None) -> int:
  args = parse_args(argv)
  sizes = SMOKE if args.smoke else FULL
  start = time.perf_counter()
  report = {"smoke": args.smoke, "setting": sizes, **device_info(), "steps": {}}
  steps = [
    (f"iteration_{d}" + ("_remat" if r else ""), train_iteration, (sizes, d, r))
    for d, r in VARIANTS
  ]
  steps.insert(2, ("generator_forward", generator_throughput, (sizes,)))
  steps.insert(3, ("parity_highest_precision", parity_tests, ()))
  for name, fn, fn_args in steps:
    elapsed = time.perf_counter() - start
    if elapsed > args.budget_s:
      report["steps"][name] = {"skipped": f"time budget spent ({elapsed:.0f} s)"}
      continue
    print(f"[{elapsed:6.0f} s] {name}", file=sys.stderr, flush=True)
    report["steps"][name] = fn(*fn_args)
    if args.out:  # what has run so far survives an interrupted check
      Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
  report["total_s"] = time.perf_counter() - start
  report["loadavg"] = list(os.getloadavg())
  text = json.dumps(report, indent=2)
  if args.out:
    Path(args.out).write_text(text + "\n")
  print(text)
  return 0 if report["steps"]["parity_highest_precision"].get("passed", False) else 1


if __name__ == "__main__":
  sys.exit(main())
