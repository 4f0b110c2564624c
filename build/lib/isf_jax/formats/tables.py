"""Declarative parameter conversion: target path patterns -> source names + transforms.

`apply_rules` fills every target variable exactly once, checks shapes, and reports every
problem at once (targets without a rule or source, shape mismatches, unused sources).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping

import numpy as np


class ConversionError(ValueError):
  """Source parameters do not fit the target model."""


@dataclasses.dataclass(frozen=True)
class Rule:
  """Target variables matching `target` come from `source(match)` via `transform`."""

  target: str  # regex, fully matched against paths like "params/synthesis/b8/conv0/weight"
  source: Callable[[re.Match], str]
  transform: Callable[[np.ndarray], np.ndarray] = np.asarray


def flatten(tree: Mapping, prefix: str = "") -> dict:
  flat = {}
  for key, value in tree.items():
    path = f"{prefix}/{key}" if prefix else str(key)
    if isinstance(value, Mapping):
      flat.update(flatten(value, path))
    else:
      flat[path] = value
  return flat


def unflatten(flat: Mapping[str, np.ndarray]) -> dict:
  tree: dict = {}
  for path, value in flat.items():
    *parents, leaf = path.split("/")
    node = tree
    for p in parents:
      node = node.setdefault(p, {})
    node[leaf] = value
  return tree


def apply_rules(
  rules: list[Rule],
  sources: Mapping[str, np.ndarray],
  target_shapes: Mapping[str, tuple],
  ignored_sources: Mapping[str, Callable[[str, np.ndarray], None]] = {},  # noqa: B006
) -> dict[str, np.ndarray]:
  """Build the flat target dict; raise `ConversionError` listing every mismatch.

  `ignored_sources` maps a regex of source names that have no target (e.g. fixed blur
  filters) to a check that raises `ConversionError` if the value is not the expected one.
  """
  out, used, problems = {}, set(), []
  for path, shape in target_shapes.items():
    matches = [(r, m) for r in rules if (m := re.fullmatch(r.target, path))]
    if len(matches) != 1:
      problems.append(f"target {path}: matched by {len(matches)} rules")
      continue
    rule, match = matches[0]
    name = rule.source(match)
    if name not in sources:
      problems.append(f"missing source {name} (for {path})")
      continue
    if name in used:
      problems.append(f"source {name} used twice (again for {path})")
    used.add(name)
    value = np.asarray(rule.transform(np.asarray(sources[name])), dtype=np.float32)
    if value.shape != tuple(shape):
      problems.append(f"shape of {name} -> {path}: {value.shape}, expected {tuple(shape)}")
      continue
    out[path] = value
  for name, value in sources.items():
    if name in used:
      continue
    checks = [check for pattern, check in ignored_sources.items() if re.fullmatch(pattern, name)]
    if not checks:
      problems.append(f"unmatched source {name} {tuple(np.shape(value))}")
    for check in checks:
      check(name, np.asarray(value))
  if problems:
    raise ConversionError(
      f"{len(problems)} conversion problem(s): "
      + "; ".join(problems[:20])
      + ("; ..." if len(problems) > 20 else "")
    )
  return out


def torch_conv_to_hwio(w):
  """A torch conv kernel [O, I, kh, kw] as Flax's [kh, kw, I, O]."""
  return np.transpose(w, (2, 3, 1, 0))


def unwrap_state_dict(obj) -> dict:
  """A PyTorch state dict, also when saved under a "state_dict" key."""
  if isinstance(obj, Mapping) and "state_dict" in obj:
    obj = obj["state_dict"]
  if not isinstance(obj, Mapping):
    raise ConversionError(f"expected a state dict, got {type(obj).__name__}")
  return dict(obj)
