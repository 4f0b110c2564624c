"""Read NVIDIA's CelebA-HQ attribute classifiers (TF pickles) without TensorFlow.

The file is a `celebahq-classifier-XX-name.pkl` (NVlabs' StyleGAN metrics; a pickled
`dnnlib.tflib.network.Network`), read with the allowlist unpickler: its embedded build source is
kept as text and never run. The architecture comes from the pickle's `static_kwargs` (with the
ProGAN `D_paper` defaults) and is checked against every variable's shape. No real classifier
pickle could be inspected when this was written: anything else (another build function,
minibatch-stddev, labels, unfused downscaling, unknown or missing variables) is refused with a
message naming it, rather than converted on a guess.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from isf_jax.formats import safe_pickle
from isf_jax.formats.tables import ConversionError, Rule, apply_rules, flatten, unflatten

DEFAULTS = {"fmap_base": 8192, "fmap_decay": 1.0, "fmap_max": 512}
BUILD_FUNCTIONS = ("D_paper",)
FILE_NAME = re.compile(r"celebahq-classifier-(\d\d)-(.+)\.pkl")
BLOCK = re.compile(r"(\d+)x\1/Conv0/weight")  # the largest block is the input resolution


def _equalised(gain: float):
  """Fold the run-time weight scale gain / sqrt(fan_in) into the stored N(0, 1) weight."""

  def transform(w):
    return np.asarray(w) * np.float32(gain / np.sqrt(np.prod(np.shape(w)[:-1])))

  return transform


def rules(use_wscale: bool) -> list[Rule]:
  def scale(gain):
    return _equalised(gain) if use_wscale else np.asarray

  # Flax "{block}_{layer}" (e.g. "32x32_Conv1_down") <- TF "{block}/{layer}".
  return [
    Rule(r"params/4x4_Dense1/kernel", lambda m: "4x4/Dense1/weight", scale(1.0)),
    Rule(
      r"params/(?!4x4_Dense1/)(.+)/kernel", lambda m: f"{_tf_scope(m[1])}/weight", scale(np.sqrt(2))
    ),
    Rule(r"params/(.+)/bias", lambda m: f"{_tf_scope(m[1])}/bias"),
  ]


def _tf_scope(flax_name: str) -> str:
  return re.sub(r"^(\d+x\d+)_", r"\1/", flax_name)


def _check_lod(name, value):
  if float(value) != 0.0:
    raise ConversionError(
      f"{name} = {float(value)}: only a fully grown classifier (lod 0) is supported"
    )


IGNORED = {
  r"FromRGB_lod[1-9]\d*/(weight|bias)": lambda name, value: None,  # unused at lod 0
  r"lod": _check_lod,
}


def architecture(record) -> dict:
  """AttributeClassifier kwargs from the pickle's build function, static kwargs (with D_paper's
  defaults, as TF would build it) and block names."""
  state = record.state
  kwargs = dict(state.get("static_kwargs") or {})
  build = state.get("build_func_name")
  if build not in BUILD_FUNCTIONS:
    raise ConversionError(
      f"unsupported classifier build function {build!r} (known: {BUILD_FUNCTIONS})"
    )
  blocks = [int(m[1]) for n, _ in state.get("variables", []) if (m := BLOCK.fullmatch(n))]
  resolution = max(blocks, default=0)
  problems = []
  if kwargs.get("mbstd_group_size", 4) > 1:
    problems.append(f"minibatch-stddev group size {kwargs.get('mbstd_group_size', 4)}")
  if kwargs.get("label_size", 0):
    problems.append(f"label_size {kwargs['label_size']}")
  if kwargs.get("num_channels", 3) != 3:
    problems.append(f"{kwargs['num_channels']} input channels")
  if not kwargs.get("fused_scale", True):
    problems.append("unfused downscaling")
  if resolution < 8 or kwargs.get("resolution", resolution) != resolution:
    problems.append(f"resolution {kwargs.get('resolution')} with blocks up to {resolution}")
  if problems:
    raise ConversionError("unsupported classifier configuration: " + ", ".join(problems))
  return {"resolution": resolution} | {k: kwargs.get(k, v) for k, v in DEFAULTS.items()}


def target_shapes(config: dict) -> dict[str, tuple]:
  import jax
  import jax.numpy as jnp

  from isf_jax.metrics.celebahq_classifier import AttributeClassifier

  resolution = config["resolution"]
  x = jax.ShapeDtypeStruct((1, resolution, resolution, 3), jnp.float32)
  shapes = jax.eval_shape(AttributeClassifier(**config).init, jax.random.key(0), x)
  return {p: s.shape for p, s in flatten(shapes).items()}


def convert_record(record) -> tuple[dict, dict]:
  """(architecture, variables) of an unpickled classifier; ConversionError if it does not fit."""
  config = architecture(record)
  sources = {name: np.asarray(value) for name, value in record.state.get("variables", [])}
  use_wscale = bool(record.state["static_kwargs"].get("use_wscale", True))
  return config, unflatten(apply_rules(rules(use_wscale), sources, target_shapes(config), IGNORED))


def read_classifier(path) -> tuple[dict, dict, dict]:
  """(architecture, variables, meta) from a classifier pickle."""
  record = safe_pickle.load_checkpoint_file(path)
  if not isinstance(record, safe_pickle.TFNetworkRecord):
    raise ConversionError(f"{path} is not a pickled TensorFlow network")
  config, variables = convert_record(record)
  meta = {"network": "attribute_classifier", "architecture": config, "source": Path(path).name}
  if match := FILE_NAME.fullmatch(Path(path).name):
    meta |= {"index": int(match[1]), "attribute": match[2]}
  return config, variables, meta
