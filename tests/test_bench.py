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
