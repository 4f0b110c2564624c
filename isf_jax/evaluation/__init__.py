"""The paper's evaluation (docs/evaluation.md) as a library; `python -m isf_jax.evaluate` is its
command.

protocol.py   what is measured: sizes (Protocol), metric networks, editors (Method)
methods.py    the ISF and InterFaceGAN editors
harness.py    per-code measurements, batch by batch, through the metric functions
summary.py    per-code arrays -> metrics per direction, attribute and method
report.py     the markdown tables and result files
partial.py    resumable results (saved with the settings that made them)
batching.py   fixed-shape batches
networks.py   loading the ISF, the generator's renderer, metric networks, FID references
run.py        whole evaluations: run_evaluation, evaluate_from_config
end_of_run.py the trainer's small end-of-run protocol on the demo world
inverted.py   the methods on inverted codes of rendered "photos" (what inversion costs an edit)
"""

from isf_jax.evaluation.harness import Harness, score_directions
from isf_jax.evaluation.methods import interfacegan_boundaries, interfacegan_method, isf_method
from isf_jax.evaluation.networks import (
  load_isf_for,
  metric_networks,
  real_classifier,
  reference_statistics,
)
from isf_jax.evaluation.protocol import DIRECTIONS, Method, MetricNetworks, Protocol
from isf_jax.evaluation.report import markdown
from isf_jax.evaluation.run import evaluate_from_config, run_evaluation
from isf_jax.evaluation.summary import METRICS, direction_metrics, summarize

__all__ = [
  "DIRECTIONS",
  "METRICS",
  "Harness",
  "Method",
  "MetricNetworks",
  "Protocol",
  "direction_metrics",
  "evaluate_from_config",
  "interfacegan_boundaries",
  "interfacegan_method",
  "isf_method",
  "load_isf_for",
  "markdown",
  "metric_networks",
  "real_classifier",
  "reference_statistics",
  "run_evaluation",
  "score_directions",
  "summarize",
]
