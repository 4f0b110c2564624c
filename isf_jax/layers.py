"""Which W+ layers keep an edit: the official per-attribute presets, or ranges as typed."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from isf_jax.seeds import parse_int_ranges

# W+ layers [start, stop) that keep the ISF output per attribute in the official scripts'
# `--use_post` (`post_process` of isfgan_edit.py; 18 layers); every other layer is copied from
# the source. StyleGAN2 (styleganv2/) and StyleGAN v1 (styleganv1/) use different ranges.
LAYER_PRESETS = {"gender": (0, 8), "glasses": (2, 4), "age": (4, 8), "expression": (4, 6)}
LAYER_PRESETS_V1 = {"gender": (2, 4), "glasses": (1, 4), "age": (2, 6), "expression": (1, 4)}


def layer_presets(kind: str = "stylegan2") -> dict:
  """The official presets of a generator kind ("stylegan2" or "stylegan1")."""
  return LAYER_PRESETS_V1 if kind == "stylegan1" else LAYER_PRESETS


def parse_layers(text: str) -> tuple[int, ...]:
  """'0-3,7' -> (0, 1, 2, 3, 7): inclusive ranges, as on the command line."""
  return tuple(parse_int_ranges(text, "layer", "4-7 or 2,3"))


def layer_mask(
  layers, names: Iterable[str], num_layers: int, kind: str = "stylegan2"
) -> np.ndarray:
  """Which W+ layers keep the ISF output: bool [num_layers].

  layers: None (all), "preset" (the union of the generator kind's presets, `layer_presets`,
  of the targeted `names`), a range string like "4-7,10", or an iterable of layer indices.
  """
  presets = layer_presets(kind)
  if layers is None:
    return np.ones(num_layers, bool)
  mask = np.zeros(num_layers, bool)
  if isinstance(layers, str) and layers == "preset":
    names = list(names)
    missing = [n for n in names if n not in presets]
    if missing:
      raise ValueError(
        f"no layer preset for {missing}; presets exist for {sorted(presets)}: "
        "pass layer indices instead"
      )
    for name in names:
      start, stop = presets[name]
      if stop > num_layers:
        raise ValueError(f"preset {name} (layers {start}-{stop - 1}) needs {stop} W+ layers")
      mask[start:stop] = True
    return mask
  indices = parse_layers(layers) if isinstance(layers, str) else tuple(int(i) for i in layers)
  bad = [i for i in indices if not 0 <= i < num_layers]
  if bad or not indices:
    raise ValueError(f"layers {list(indices)} must be a non-empty subset of 0-{num_layers - 1}")
  mask[list(indices)] = True
  return mask
