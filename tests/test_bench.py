"""The generator benchmark runs end to end and prints its JSON (a smoke run, not a timing)."""

import json
import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_generator_benchmark_smoke():
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  args = [
    "--resolution",
    "16",
    "--channel-base",
    "256",
    "--channel-max",
    "32",
    "--batch",
    "2",
    "--iters",
    "1",
  ]
  result = subprocess.run(
    [sys.executable, "-m", "bench.generator", *args], capture_output=True, text=True, cwd=root
  )
  assert result.returncode == 0, result.stderr[-2000:]
  report = json.loads(result.stdout)
  assert report["recommended_fused_modconv"] in (True, False)
  text = json.dumps(report)
  assert "images_per_s" in text and "compile_s" in text


@pytest.mark.slow
def test_generator_benchmark_stylegan1_smoke():
  """StyleGAN v1 at 256 px (one fused-upsampling block), forward only."""
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  args = ["--kind", "stylegan1", "--resolution", "256", "--channel-base", "256"]
  args += ["--channel-max", "16", "--batch", "1", "--iters", "1", "--modes", "forward"]
  result = subprocess.run(
    [sys.executable, "-m", "bench.generator", *args], capture_output=True, text=True, cwd=root
  )
  assert result.returncode == 0, result.stderr[-2000:]
  report = json.loads(result.stdout)
  assert report["config"]["kind"] == "stylegan1" and report["config"]["num_ws"] == 14
  run = report["results"]["stylegan1"]["forward"]
  assert run["finite"] and run["images_per_s"] > 0
  assert report["recommended_fused_modconv"] is None


@pytest.mark.slow
def test_train_step_benchmark_smoke():
  """The small setting on 2 simulated devices: one compile, one timed iteration, JSON out."""
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  args = ["--setting", "small", "--batch", "4", "--iters", "1", "--devices", "1,2"]
  args += ["--simulate-cpu-devices", "2"]
  result = subprocess.run(
    [sys.executable, "-m", "bench.train_step", *args], capture_output=True, text=True, cwd=root
  )
  assert result.returncode == 0, result.stderr[-2000:]
  report = json.loads(result.stdout)
  assert [r["devices"] for r in report["steps"]] == [1, 2]
  for r in report["steps"]:
    assert r["finite"] and r["flops"] > 0 and r["median_s"] > 0
    assert set(r["first_step_metrics"]) >= {"d/total", "isf/total"}
  assert report["steps"][0]["scaling_efficiency"] == 1.0
  assert report["generator"]["images_per_s"] > 0


def test_train_step_setting_takes_a_loaded_generator():
  """--generator: the loaded generator's config replaces the setting's, ISF layers follow it."""
  from bench import train_step
  from isf_jax.stylegan2 import GeneratorConfig, channels_from_base

  loaded = GeneratorConfig(
    resolution=128, channels=channels_from_base(128), z_dim=512, w_dim=512, mapping_layers=8
  )
  config, gen_config, batch = train_step.setting_config("ffhq", 4, image_size=64, gen_config=loaded)
  assert gen_config is loaded and config.isf.num_layers == 12
  assert config.train.img_size == 64 and batch == 4
  config, gen_config, batch = train_step.setting_config("small", 0, gen_config=loaded)
  assert gen_config is loaded and config.isf.num_layers == 12 and batch == 16
  _, gen_config, _ = train_step.setting_config("small", 0)
  assert gen_config.resolution == 32


def test_device_check_lists_every_step_and_respects_its_budget():
  """With the budget already spent every step is recorded as skipped (the full smoke run takes
  minutes on a CPU: `bash bench/device_check.sh --smoke`, output in docs/performance.md)."""
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  result = subprocess.run(
    ["bash", "bench/device_check.sh", "--smoke", "--budget-s", "1e-9"],
    capture_output=True,
    text=True,
    cwd=root,
    env=dict(os.environ, JAX_PLATFORMS="cpu"),
  )
  assert result.returncode == 1, result.stderr[-2000:]  # the parity tests did not run
  report = json.loads(result.stdout)
  assert report["smoke"] and report["setting"]["batch"] == 2 and report["backend"] == "cpu"
  names = ["iteration_float32", "iteration_bfloat16", "generator_forward"]
  names += ["parity_highest_precision", "iteration_float32_remat", "iteration_bfloat16_remat"]
  assert list(report["steps"]) == names
  assert all("skipped" in step for step in report["steps"].values())
