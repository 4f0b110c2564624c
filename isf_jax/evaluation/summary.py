"""From per-code arrays to the scalar metrics of each direction, attribute and method."""

from __future__ import annotations

import numpy as np

from isf_jax.evaluation.protocol import DIRECTIONS
from isf_jax.metrics import accuracy, ppl

METRICS = ("fid", "lpips", "frs", "acc", "acc_flipped", "preservation", "ppl", "pir", "path_lpips")


def direction_metrics(arrays: dict, reference_stats=None) -> dict:
  """Scalar metrics of one direction, or of several pooled (arrays concatenated). FID only
  where `reference_stats` are given: per attribute, both directions pooled as `cal_fid.py`.
  Each metric whose arrays were not measured is left out."""
  row = {"count": int(len(arrays["flipped"]))}
  if "features" in arrays and reference_stats is not None:
    from isf_jax.metrics import fid

    stats = fid.feature_statistics(arrays["features"])
    row["fid"] = fid.frechet_distance(*stats, *reference_stats, method="eigh")
  if "diversity" in arrays:
    row["lpips"] = float(np.mean(arrays["diversity"]))
  if "content" in arrays:
    row["content_lpips"] = float(np.mean(arrays["content"]))
  if "frs" in arrays:
    row["frs"] = float(np.mean(arrays["frs"]))
  if "predicted" in arrays:
    row["acc"] = accuracy.accuracy(arrays["predicted"], arrays["target"])
    row["acc_flipped"] = accuracy.accuracy(arrays["predicted"], arrays["target"], arrays["flipped"])
  if "kept" in arrays:  # the other attributes keep the source's labels
    row["preservation"] = float(np.mean(arrays["kept"]))
  if "source_predicted" in arrays:  # what an identity mapping would score
    row["acc_identity"] = accuracy.accuracy(arrays["source_predicted"], arrays["target"])
  if "ppl" in arrays:
    row["ppl"] = ppl.filtered_mean(arrays["ppl"])
  if "steps" in arrays:
    row["pir"] = float(
      np.mean(ppl.perceptual_interpolation_range(arrays["steps"], arrays["shortest"]))
    )
    row["path_lpips"] = float(np.mean(ppl.path_length(arrays["steps"])))
  return {k: None if isinstance(v, float) and np.isnan(v) else v for k, v in row.items()}


def attribute_rows(per_direction: dict, reference_stats=None) -> dict:
  """{"to1", "to0", "both"} rows of one attribute from {value: per-code arrays}."""
  rows, pooled = {}, {}
  for value in DIRECTIONS:
    arrays = dict(per_direction[value])
    arrays["target"] = np.full(len(arrays["flipped"]), value)
    rows[f"to{value}"] = direction_metrics(arrays)
    for key, array in arrays.items():
      pooled.setdefault(key, []).append(array)
  rows["both"] = direction_metrics(
    {k: np.concatenate(v) for k, v in pooled.items()}, reference_stats
  )
  return rows


def mean_over_attributes(per_attribute: dict, metrics=METRICS) -> dict:
  """Each metric of the pooled ("both") rows averaged over attributes (None: not measured)."""
  mean = {}
  for metric in metrics:
    values = [rows["both"].get(metric) for rows in per_attribute.values()]
    values = [v for v in values if v is not None]
    mean[metric] = float(np.mean(values)) if values else None
  return mean


def summarize(partial: dict, methods, names, reference_stats) -> dict:
  """results["methods"][method] = {"attributes": {name: {"to1", "to0", "both"}}, "mean"}."""
  results = {"methods": {}}
  for method in methods:
    per_attribute = {
      name: attribute_rows(
        {value: partial[method.name, name, value] for value in DIRECTIONS}, reference_stats
      )
      for name in names
    }
    results["methods"][method.name] = {
      "description": method.description,
      "attributes": per_attribute,
      "mean": mean_over_attributes(per_attribute),
    }
  return results
