"""Read InceptionV3 weights (PyTorch state dicts): file -> (variant, variables).

The file is pytorch-fid's `pt_inception-2015-12-05-6726825d.pth` (variant "pytorch_fid") or
torchvision's `inception_v3_google-0cc3c7bd.pth` (variant "torchvision", the official ISF-GAN
FID network). Unless given, the variant is read from the classifier size (1008 classes:
pytorch-fid, 1000: torchvision). The file is read without torch through the allowlist unpickler.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from isf_jax.formats import safe_pickle
from isf_jax.formats.tables import (
  ConversionError,
  Rule,
  apply_rules,
  flatten,
  torch_conv_to_hwio,
  unflatten,
  unwrap_state_dict,
)
from isf_jax.metrics.inception import VARIANTS

CLASSES = {1008: "pytorch_fid", 1000: "torchvision"}


def _torch_name(path: str) -> str:
  return path.replace("/", ".")


RULES = [
  Rule(
    r"params/(.+)/conv/kernel", lambda m: f"{_torch_name(m[1])}.conv.weight", torch_conv_to_hwio
  ),
  Rule(r"params/(.+)/bn/scale", lambda m: f"{_torch_name(m[1])}.bn.weight"),
  Rule(r"params/(.+)/bn/bias", lambda m: f"{_torch_name(m[1])}.bn.bias"),
  Rule(r"batch_stats/(.+)/bn/mean", lambda m: f"{_torch_name(m[1])}.bn.running_mean"),
  Rule(r"batch_stats/(.+)/bn/var", lambda m: f"{_torch_name(m[1])}.bn.running_var"),
]
# The classifier and auxiliary head are not part of the pool3 features.
IGNORED = {
  r".*num_batches_tracked": lambda name, value: None,
  r"fc\.(weight|bias)": lambda name, value: None,
  r"AuxLogits\..*": lambda name, value: None,
}


def target_shapes(variant: str) -> dict[str, tuple]:
  import jax
  import jax.numpy as jnp

  from isf_jax.metrics.inception import INPUT_SIZE, InceptionV3

  x = jax.ShapeDtypeStruct((1, *INPUT_SIZE, 3), jnp.float32)
  shapes = jax.eval_shape(InceptionV3(variant).init, jax.random.key(0), x)
  return {p: s.shape for p, s in flatten(shapes).items()}


def detect_variant(state_dict: Mapping) -> str:
  fc = state_dict.get("fc.weight")
  if fc is None or np.shape(fc)[0] not in CLASSES:
    raise ConversionError(
      "cannot tell the Inception variant (no fc.weight with 1008 or 1000 classes); "
      "pass --variant (variant= from Python)"
    )
  return CLASSES[np.shape(fc)[0]]


def convert_state_dict(state_dict: Mapping, variant: str) -> dict:
  """{"params": ..., "batch_stats": ...} for `InceptionV3(variant)`; ConversionError if the
  names or shapes do not fit."""
  flat = apply_rules(RULES, dict(state_dict), target_shapes(variant), IGNORED)
  return unflatten(flat)


def read_inception(path, variant: str | None = None) -> tuple[str, dict]:
  """(variant, {"params", "batch_stats"}) of `InceptionV3` from a state dict file."""
  state_dict = unwrap_state_dict(safe_pickle.load_checkpoint_file(path))
  variant = variant or detect_variant(state_dict)
  if variant not in VARIANTS:
    raise ValueError(f"unknown Inception variant {variant!r}; choose one of {VARIANTS}")
  return variant, convert_state_dict(state_dict, variant)
