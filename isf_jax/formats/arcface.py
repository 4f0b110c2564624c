"""Read ArcFace IR-SE50 weights (pSp / TreB1eN `model_ir_se50.pth`): file -> variables.

The file is the PyTorch state dict of `Backbone(112, 50, mode="ir_se")`, read without torch
through the allowlist unpickler.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from isf_jax.formats import safe_pickle
from isf_jax.formats.tables import (
  Rule,
  apply_rules,
  flatten,
  torch_conv_to_hwio,
  unflatten,
  unwrap_state_dict,
)

# The IR-SE units (isf_jax/encoders/irse.py), shared with e4e: Flax module path -> torch
# module name, a regex group \1 being the unit index.
IRSE_BODY = {
  r"body_(\d+)/shortcut_conv": r"body.\1.shortcut_layer.0",
  r"body_(\d+)/shortcut_bn": r"body.\1.shortcut_layer.1",
  r"body_(\d+)/bn_in": r"body.\1.res_layer.0",
  r"body_(\d+)/conv1": r"body.\1.res_layer.1",
  r"body_(\d+)/prelu": r"body.\1.res_layer.2",
  r"body_(\d+)/conv2": r"body.\1.res_layer.3",
  r"body_(\d+)/bn_out": r"body.\1.res_layer.4",
  r"body_(\d+)/se/fc1": r"body.\1.res_layer.5.fc1",
  r"body_(\d+)/se/fc2": r"body.\1.res_layer.5.fc2",
}
# Flax module path -> torch module name.
MODULES = {
  "input_conv": "input_layer.0",
  "input_bn": "input_layer.1",
  "input_prelu": "input_layer.2",
  "output_bn": "output_layer.0",
  "output_dense": "output_layer.3",
  "output_bn1d": "output_layer.4",
  **IRSE_BODY,
}
# Flax leaf -> (torch leaf, transform); None: `_kernel`. Each module gets a rule per leaf kind;
# the ones naming leaves it does not have simply match nothing.
LEAVES = {
  "params/{}/kernel": ("weight", None),
  "params/{}/bias": ("bias", np.asarray),
  "params/{}/scale": ("weight", np.asarray),
  "params/{}/alpha": ("weight", np.asarray),
  "batch_stats/{}/mean": ("running_mean", np.asarray),
  "batch_stats/{}/var": ("running_var", np.asarray),
}


def _kernel(w):
  """torch conv [O, I, kh, kw] -> [kh, kw, I, O]; torch linear [O, I] -> [I, O]."""
  return torch_conv_to_hwio(w) if w.ndim == 4 else w.T


def _rule(flax_module: str, torch_module: str, flax_leaf: str, torch_leaf: str, transform):
  def source(match):
    return match.expand(torch_module) + "." + torch_leaf

  return Rule(flax_leaf.format(flax_module), source, transform or _kernel)


RULES = [
  _rule(module, torch, leaf, torch_leaf, transform)
  for module, torch in MODULES.items()
  for leaf, (torch_leaf, transform) in LEAVES.items()
]
IGNORED = {r".*num_batches_tracked": lambda name, value: None}


def target_shapes() -> dict[str, tuple]:
  import jax
  import jax.numpy as jnp

  from isf_jax.metrics.arcface import INPUT_SIZE, IRSE50

  x = jax.ShapeDtypeStruct((1, *INPUT_SIZE, 3), jnp.float32)
  shapes = jax.eval_shape(IRSE50().init, jax.random.key(0), x)
  return {p: s.shape for p, s in flatten(shapes).items()}


def convert_state_dict(state_dict: Mapping) -> dict:
  """{"params": ..., "batch_stats": ...} for `IRSE50`; ConversionError if names/shapes differ."""
  return unflatten(apply_rules(RULES, dict(state_dict), target_shapes(), IGNORED))


def read_arcface(path) -> dict:
  """{"params", "batch_stats"} of `IRSE50` from a state dict file (or one under "state_dict")."""
  return convert_state_dict(unwrap_state_dict(safe_pickle.load_checkpoint_file(path)))
