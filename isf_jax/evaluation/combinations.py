"""Several attributes edited at once: every test code gets `size` attributes drawn at random,
each asked to take the value opposite to the source's label; the other attributes are to be
kept. Measured per code: whether every asked attribute reached its target (joint accuracy), the
share that did, the share of the others that kept the source's label (preservation), and the
content LPIPS between source and edit. An identity mapping scores 0 joint accuracy and 1
preservation; a single linear direction per attribute drags the attributes correlated with it.
"""

from __future__ import annotations

import jax
import numpy as np

from isf_jax.evaluation.batching import pad
from isf_jax.evaluation.harness import Harness, kept_fraction


def combination_targets(labels, size: int, seed: int = 0):
  """(targets [N, K], asked [N, K]) float32: `size` distinct attributes per code, drawn
  uniformly, flipped from labels [N, K] in {0, 1}; the others keep their labels."""
  labels = np.asarray(labels, np.float32)
  n, num_attributes = labels.shape
  if not 1 <= size <= num_attributes:
    raise ValueError(f"cannot edit {size} of {num_attributes} attributes at once")
  rng = np.random.default_rng([seed, size])
  chosen = np.argsort(rng.random((n, num_attributes)), axis=1)[:, :size]  # [N, size]
  asked = np.zeros_like(labels)
  np.put_along_axis(asked, chosen, 1.0, axis=1)
  return np.where(asked > 0, 1.0 - labels, labels), asked


def score_combinations(methods, harness: Harness, wp, labels, source_labels, sizes) -> dict:
  """{(method name, size): {"joint", "asked", "kept", "content"}: per-code arrays [N]}.

  wp [N, L, C] the test codes, labels [N, K] their dataset labels (the targets start from
  them), source_labels [N, K] the classifier's labels of their renders (what is kept)."""
  protocol = harness.protocol
  n = len(wp)
  results = {}
  for size in sizes:
    targets_all, asked_all = combination_targets(labels, size, protocol.seed)
    for method in methods:
      edit = jax.jit(method.edit)
      key = jax.random.fold_in(jax.random.key(protocol.seed), 1000 + size)
      out = {"joint": [], "asked": [], "kept": [], "content": []}
      for start in range(0, n, protocol.batch_size):
        stop = min(start + protocol.batch_size, n)
        batch, m = pad(wp[start:stop], protocol.batch_size)
        targets, _ = pad(targets_all[start:stop], protocol.batch_size)
        asked, _ = pad(asked_all[start:stop], protocol.batch_size)
        arrays = harness.batch(edit, batch, targets, asked, jax.random.fold_in(key, start),
                               start, with_diversity=False)  # fmt: skip
        predicted = arrays["labels"][:m]  # [m, K]
        hit = (predicted == targets[:m]) | (asked[:m] == 0)  # [m, K]: asked ones that hit
        out["joint"].append(hit.all(axis=1))
        out["asked"].append((hit & (asked[:m] > 0)).sum(axis=1) / size)
        out["kept"].append(kept_fraction(predicted, source_labels[start:stop], asked[:m]))
        out["content"].append(np.asarray(arrays["content"])[:m])
      results[method.name, size] = {k: np.concatenate(v) for k, v in out.items()}
  return results


def combination_metrics(per_code: dict) -> dict:
  """{(method, size): {"joint_acc", "acc", "preservation", "content_lpips"}} (means)."""
  names = {"joint": "joint_acc", "asked": "acc", "kept": "preservation", "content": "content_lpips"}
  return {
    key: {names[k]: float(np.mean(v)) for k, v in arrays.items()}
    for key, arrays in per_code.items()
  }
