"""The deterministic random weights of the metric-network fixtures (see their READMEs).

Every state-dict entry gets its own generator seeded by (seed, crc32(name)), so the values do
not depend on the order in which the entries are made.
"""

import re
import zlib

import numpy as np


def recipe_value(name: str, shape: tuple, seed: int) -> np.ndarray:
  rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
  leaf = name.rsplit(".", 1)[-1]
  if leaf == "num_batches_tracked":
    return np.zeros(shape, np.int64)
  if leaf == "running_var":
    value = rng.uniform(0.5, 1.5, shape)
  elif leaf in ("running_mean", "bias"):
    value = rng.normal(0.0, 0.1, shape)
  elif len(shape) == 1:  # BatchNorm scale, PReLU slope
    value = rng.uniform(0.5, 1.5, shape)
  else:  # He-scaled conv / linear weight [out, in, ...]
    value = rng.standard_normal(shape) * np.sqrt(2.0 / np.prod(shape[1:]))
  return value.astype(np.float32)


def recipe_state_dict(keys_and_shapes, seed: int, scales=None) -> dict[str, np.ndarray]:
  """`scales`: {regex: factor} multiplying the entries whose full name matches."""
  state = {}
  for name, shape in keys_and_shapes:
    value = recipe_value(name, tuple(shape), seed)
    for pattern, factor in (scales or {}).items():
      if re.fullmatch(pattern, name):
        value = (value * np.float32(factor)).astype(value.dtype)
    state[name] = value
  return state
