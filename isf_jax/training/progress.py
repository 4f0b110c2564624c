"""What a run reports as it goes: metrics to the console (through the progress bar),
`metrics.jsonl` and TensorBoard; a non-finite loss stops it, naming the step and the term."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import jax


class NonFiniteLossError(FloatingPointError):
  """A loss term became NaN or infinite."""


def check_finite(step: int, metrics: dict):
  bad = [name for name, value in metrics.items() if not math.isfinite(value)]
  if bad:
    raise NonFiniteLossError(f"non-finite loss at step {step}: {', '.join(sorted(bad))}")


class MetricWriter:
  """metrics.jsonl and TensorBoard (tensorboardX), process 0 only. Device metrics are fetched
  one step late (`log`), so the host never waits for the step it just dispatched."""

  def __init__(self, workdir: Path, log_every: int, start_step: int, postfix=None):
    # the metrics shown on the progress bar: {short name: metric}
    self.postfix = postfix or {"d": "d/total", "isf": "isf/total"}
    self.enabled = jax.process_index() == 0
    self.log_every, self.start, self.t0 = log_every, start_step, time.time()
    self.pending = None  # (step, device metrics)
    self.last = {}
    if self.enabled:
      from tensorboardX import SummaryWriter

      self.tb = SummaryWriter(str(workdir / "tensorboard"))
      self.jsonl = open(workdir / "metrics.jsonl", "a")

  def log(self, step: int, device_metrics, bar) -> None:
    """Records this step's metrics and writes the previous step's."""
    if self.pending is not None:
      self._write(*self.pending, bar, force=False)
    self.pending = (step, device_metrics)

  def flush(self, bar) -> dict:
    if self.pending is not None:
      self._write(*self.pending, bar, force=True)
      self.pending = None
    return self.last

  def _write(self, step, device_metrics, bar, force):
    metrics = {k: float(v) for k, v in jax.device_get(device_metrics).items()}
    check_finite(step, metrics)
    self.last = metrics
    if not (force or step % self.log_every == 0):
      return
    metrics["steps_per_sec"] = (step - self.start) / max(time.time() - self.t0, 1e-9)
    bar.set_postfix({short: f"{metrics[name]:.3f}" for short, name in self.postfix.items()})
    if self.enabled:
      for name, value in metrics.items():
        self.tb.add_scalar(name, value, step)
      self.jsonl.write(json.dumps({"step": step, **metrics}) + "\n")
      self.jsonl.flush()

  def close(self):
    if self.enabled:
      self.tb.close()
      self.jsonl.close()
