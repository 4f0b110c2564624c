"""Read a released e4e checkpoint (omertov/encoder4editing, e.g. `e4e_ffhq_encode.pt`).

The file is what e4e's training coach saves: `{'state_dict': pSp.state_dict(), 'opts': ...,
'latent_avg': ...}` (training checkpoints add optimiser state, ignored here), where
* `state_dict` holds `encoder.*` (the Encoder4Editing network) and `decoder.*` (a rosinality
  StyleGAN2 generator, read here through the project's rosinality reader);
* `opts` is the training options, a dict (`vars(opts)`) or an argparse Namespace; used:
  `encoder_type` (must be 'Encoder4Editing'), `stylegan_size`, `start_from_latent_avg`;
* `latent_avg` is the generator's mean W, [n_styles, w_dim] (pSp repeats it per style) or [w_dim].
Read with the allowlist unpickler: nothing in the file can run code.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping

import numpy as np

from isf_jax.encoders.e4e import STAGE_UNITS, E4EConfig, variable_shapes

# Until the readers move to isf_jax/formats (the lead rewrites these imports when merging).
from isf_jax.formats import safe_pickle
from isf_jax.formats.arcface import IRSE_BODY
from isf_jax.formats.stylegan2 import read_ros
from isf_jax.formats.tables import (
  ConversionError,
  Rule,
  apply_rules,
  flatten,
  torch_conv_to_hwio,
  unflatten,
)
from isf_jax.stylegan2.config import GeneratorConfig

ENCODER_PREFIX, DECODER_PREFIX = "encoder.", "decoder."


@dataclasses.dataclass(frozen=True)
class E4ECheckpoint:
  encoder_config: E4EConfig
  encoder_variables: dict
  generator_config: GeneratorConfig
  generator_variables: dict


# Flax module path -> torch module name in `encoder.*` (regex groups carry unit/style indices).
MODULES = {
  "input_conv": "input_layer.0",
  "input_bn": "input_layer.1",
  "input_prelu": "input_layer.2",
  **IRSE_BODY,
  "lateral_1": "latlayer1",
  "lateral_2": "latlayer2",
  r"style_(\d+)/linear": r"styles.\1.linear",
}
# Flax leaf -> (torch leaf, transform). A module gets a rule per leaf kind; the ones naming
# leaves it does not have match nothing.
LEAVES = {
  "params/{}/kernel": ("weight", torch_conv_to_hwio),
  "params/{}/bias": ("bias", np.asarray),
  "params/{}/scale": ("weight", np.asarray),
  "params/{}/alpha": ("weight", np.asarray),
  "params/{}/weight": ("weight", np.transpose),  # EqualLinear [out, in] -> [in, out]
  "batch_stats/{}/mean": ("running_mean", np.asarray),
  "batch_stats/{}/var": ("running_var", np.asarray),
}


def _rule(flax_module: str, torch_module: str, flax_leaf: str, torch_leaf: str, transform):
  def source(match):
    return ENCODER_PREFIX + match.expand(torch_module) + "." + torch_leaf

  return Rule(flax_leaf.format(flax_module), source, transform)


def _style_conv(match):
  # GradualStyleBlock.convs is Sequential(conv, LeakyReLU, conv, LeakyReLU, ...).
  return f"{ENCODER_PREFIX}styles.{match[1]}.convs.{2 * int(match[2])}"


RULES = [
  _rule(module, torch, leaf, torch_leaf, transform)
  for module, torch in MODULES.items()
  for leaf, (torch_leaf, transform) in LEAVES.items()
] + [
  Rule(
    r"params/style_(\d+)/conv(\d+)/kernel",
    lambda m: _style_conv(m) + ".weight",
    torch_conv_to_hwio,
  ),
  Rule(r"params/style_(\d+)/conv(\d+)/bias", lambda m: _style_conv(m) + ".bias"),
  Rule(r"buffers/latent_avg", lambda m: "latent_avg"),
]
IGNORED = {r"encoder\..*num_batches_tracked": lambda name, value: None}


def _option(opts, name: str):
  if isinstance(opts, Mapping):
    if name not in opts:
      raise ConversionError(f"e4e checkpoint opts have no '{name}'")
    return opts[name]
  if isinstance(opts, types.SimpleNamespace):  # argparse.Namespace, as the unpickler reads it
    if not hasattr(opts, name):
      raise ConversionError(f"e4e checkpoint opts have no '{name}'")
    return getattr(opts, name)
  raise ConversionError(
    f"e4e checkpoint opts is a {type(opts).__name__}, expected a dict or an argparse Namespace"
  )


def _shape(state: Mapping, name: str) -> tuple:
  if name not in state:
    raise ConversionError(f"missing {name}: not an Encoder4Editing state dict")
  return np.shape(state[name])


def infer_encoder_config(state: Mapping, opts) -> E4EConfig:
  """The encoder's shape from its `encoder.*` tensors and the options it was trained with."""
  encoder_type = _option(opts, "encoder_type")
  if encoder_type != "Encoder4Editing":
    raise ConversionError(f"encoder_type is {encoder_type!r}; only 'Encoder4Editing' (e4e) is read")
  first_units = np.cumsum((0, *STAGE_UNITS[:-1]))  # the first unit of each stage
  return E4EConfig(
    resolution=int(_option(opts, "stylegan_size")),
    stem_channels=_shape(state, ENCODER_PREFIX + "input_layer.0.weight")[0],
    stage_depths=tuple(
      _shape(state, f"{ENCODER_PREFIX}body.{u}.res_layer.1.weight")[0] for u in first_units
    ),
    style_dim=_shape(state, ENCODER_PREFIX + "styles.0.linear.weight")[0],
    start_from_latent_avg=bool(_option(opts, "start_from_latent_avg")),
  )


def convert_encoder(config: E4EConfig, state: Mapping, latent_avg) -> dict:
  """Variables of `Encoder4Editing(config)` from the `encoder.*` tensors; ConversionError
  listing every missing, unmatched or mis-shaped tensor. `latent_avg`: [n_styles or 1, w]."""
  shapes = {p: s.shape for p, s in flatten(variable_shapes(config)).items()}
  sources = {k: v for k, v in state.items() if k.startswith(ENCODER_PREFIX)}
  latent_avg = np.asarray(latent_avg, np.float32).reshape(-1, config.style_dim)
  sources["latent_avg"] = np.broadcast_to(latent_avg, (config.n_styles, config.style_dim))
  return unflatten(apply_rules(RULES, sources, shapes, IGNORED))


def _generator_w_avg(latent_avg):
  """pSp stores the generator's mean W repeated per style; None when the rows differ."""
  rows = np.asarray(latent_avg, np.float32).reshape(-1, np.shape(latent_avg)[-1])
  return rows[0] if np.array_equal(rows, np.broadcast_to(rows[0], rows.shape)) else None


def read_checkpoint(checkpoint) -> E4ECheckpoint:
  """The encoder and generator of an unpickled e4e checkpoint (see the module docstring)."""
  if not isinstance(checkpoint, Mapping) or not {"state_dict", "opts"} <= checkpoint.keys():
    found = (
      f"keys {sorted(map(str, checkpoint))[:8]}"
      if isinstance(checkpoint, Mapping)
      else type(checkpoint).__name__
    )
    raise ConversionError(
      f"not an e4e checkpoint (expected 'state_dict' and 'opts'; found {found})"
    )
  if not isinstance(checkpoint["state_dict"], Mapping):
    raise ConversionError(f"state_dict is a {type(checkpoint['state_dict']).__name__}, not a dict")
  state = {k: np.asarray(v) for k, v in checkpoint["state_dict"].items()}
  config = infer_encoder_config(state, checkpoint["opts"])
  latent_avg = checkpoint.get("latent_avg")
  if latent_avg is None and config.start_from_latent_avg:
    raise ConversionError("opts.start_from_latent_avg is set but the file has no latent_avg")
  if latent_avg is not None and np.size(latent_avg) not in (
    config.style_dim,
    config.n_styles * config.style_dim,
  ):
    raise ConversionError(
      f"latent_avg has shape {np.shape(latent_avg)}, expected "
      f"[{config.n_styles}, {config.style_dim}] or [{config.style_dim}]"
    )
  encoder_variables = convert_encoder(
    config, state, np.zeros(config.style_dim) if latent_avg is None else latent_avg
  )

  decoder = {k[len(DECODER_PREFIX) :]: v for k, v in state.items() if k.startswith(DECODER_PREFIX)}
  if not decoder:
    raise ConversionError("the e4e checkpoint has no decoder.* (generator) tensors")
  generator_checkpoint = {"g_ema": decoder}
  if latent_avg is not None and (w_avg := _generator_w_avg(latent_avg)) is not None:
    generator_checkpoint["latent_avg"] = w_avg
  generator_config, generator_variables = read_ros(generator_checkpoint)
  if (generator_config.resolution, generator_config.w_dim) != (config.resolution, config.style_dim):
    raise ConversionError(
      f"the decoder is {generator_config.resolution} px with w_dim {generator_config.w_dim}, "
      f"but the encoder codes {config.resolution} px with style_dim {config.style_dim}"
    )
  return E4ECheckpoint(config, encoder_variables, generator_config, generator_variables)


def read_e4e(path) -> E4ECheckpoint:
  """Read an e4e `.pt` (torch zip or legacy format) without torch and without running code."""
  return read_checkpoint(safe_pickle.load_checkpoint_file(path))
