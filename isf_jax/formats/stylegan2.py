"""Read foreign StyleGAN2 generators: file -> (GeneratorConfig, variables).

The format is detected from the content, not the name:
  * rosinality stylegan2-pytorch `.pt`: `g_ema` plus `latent_avg` (converted from TF), or a
    training checkpoint (`g_ema`, `args`, no `latent_avg`: w_avg is then computed as the
    mean W of `W_AVG_NUM_Z` z drawn with numpy seed `W_AVG_SEED`);
  * NVlabs stylegan2-ada-pytorch `.pkl` (`G_ema`; conv_clamp and fp16 settings kept, run in
    float32);
  * NVlabs TensorFlow StyleGAN2 `.pkl` (`Gs`), read without TensorFlow.
"""

from __future__ import annotations

import math
import sys
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
)
from isf_jax.stylegan2 import ops
from isf_jax.stylegan2.config import GeneratorConfig
from isf_jax.stylegan2.networks import mean_w, variable_shapes

W_AVG_NUM_Z = 10_000
W_AVG_SEED = 0

_LAYER = r"(conv0|conv1|torgb)"


def _chw_to_hwc(x):
  return np.transpose(x.reshape(x.shape[-3:]), (1, 2, 0))


def _scalar(x):
  return x.reshape(())


def _squeeze_to_2d(x):
  return x.reshape(x.shape[-2:])


def _expect_filter(gain: float):
  def check(name, value):
    if value.shape != (4, 4) or not np.allclose(value, ops.RESAMPLE_FILTER * gain, atol=1e-7):
      raise ConversionError(f"{name}: only the [1,3,3,1] resampling filter is supported")

  return check


# --- NVlabs stylegan2-ada-pytorch ------------------------------------------------------

ADA_RULES = [
  Rule(r"params/mapping/fc(\d+)/weight", lambda m: f"mapping.fc{m[1]}.weight", np.transpose),
  Rule(r"params/mapping/fc(\d+)/bias", lambda m: f"mapping.fc{m[1]}.bias"),
  Rule(r"buffers/mapping/w_avg", lambda m: "mapping.w_avg"),
  Rule(r"params/synthesis/b4/const", lambda m: "synthesis.b4.const", _chw_to_hwc),
  Rule(
    rf"params/synthesis/b(\d+)/{_LAYER}/weight",
    lambda m: f"synthesis.b{m[1]}.{m[2]}.weight",
    torch_conv_to_hwio,
  ),
  Rule(
    rf"params/synthesis/b(\d+)/{_LAYER}/(bias|noise_strength)",
    lambda m: f"synthesis.b{m[1]}.{m[2]}.{m[3]}",
  ),
  Rule(
    rf"params/synthesis/b(\d+)/{_LAYER}/affine/weight",
    lambda m: f"synthesis.b{m[1]}.{m[2]}.affine.weight",
    np.transpose,
  ),
  Rule(
    rf"params/synthesis/b(\d+)/{_LAYER}/affine/bias",
    lambda m: f"synthesis.b{m[1]}.{m[2]}.affine.bias",
  ),
  Rule(
    rf"buffers/synthesis/b(\d+)/{_LAYER}/noise_const",
    lambda m: f"synthesis.b{m[1]}.{m[2]}.noise_const",
  ),
]
ADA_IGNORED = {r"synthesis\..*resample_filter": _expect_filter(1.0)}


def _module_tensors(obj, prefix="") -> dict[str, np.ndarray]:
  """state_dict() of a pickled NVlabs network (PersistentObject / ModuleRecord tree)."""
  state = obj.state
  out = {}
  for group in ("_parameters", "_buffers"):
    for name, value in (state.get(group) or {}).items():
      if value is not None:
        out[prefix + name] = np.asarray(value)
  for name, child in (state.get("_modules") or {}).items():
    if child is not None:
      out.update(_module_tensors(child, f"{prefix}{name}."))
  return out


def read_ada(snapshot: Mapping) -> tuple[GeneratorConfig, dict]:
  g = snapshot["G_ema"]
  if not isinstance(g, safe_pickle.PersistentObject):
    raise ConversionError("G_ema is not an NVlabs network object")
  if g.state.get("_init_args"):
    raise ConversionError("G_ema was built with positional arguments; cannot read its config")
  kwargs = g.state.get("_init_kwargs") or {}
  mapping_kwargs = kwargs.get("mapping_kwargs") or {}
  synthesis_kwargs = kwargs.get("synthesis_kwargs") or {}
  if kwargs.get("c_dim", 0):
    raise ConversionError("conditional generators (c_dim > 0) are not supported")
  if synthesis_kwargs.get("architecture", "skip") != "skip":
    raise ConversionError(
      f"only the 'skip' architecture is supported, got {synthesis_kwargs['architecture']!r}"
    )
  tensors = _module_tensors(g)
  resolution = int(kwargs["img_resolution"])
  config = GeneratorConfig(
    resolution=resolution,
    channels=[tensors[f"synthesis.b{r}.conv1.weight"].shape[0] for r in _resolutions(resolution)],
    z_dim=int(kwargs["z_dim"]),
    w_dim=int(kwargs["w_dim"]),
    mapping_layers=int(mapping_kwargs.get("num_layers", 8)),
    mapping_lr_multiplier=float(mapping_kwargs.get("lr_multiplier", 0.01)),
    img_channels=int(kwargs.get("img_channels", 3)),
    conv_clamp=synthesis_kwargs.get("conv_clamp"),
    num_fp16_res=int(synthesis_kwargs.get("num_fp16_res", 0)),
  )
  return config, _convert(config, ADA_RULES, tensors, ADA_IGNORED)


# --- rosinality stylegan2-pytorch ------------------------------------------------------


def _ros_layer(res: str, layer: str) -> str:
  if res == "4":
    return {"conv1": "conv1", "torgb": "to_rgb1"}[layer]
  k = int(math.log2(int(res))) - 3
  return {"conv0": f"convs.{2 * k}", "conv1": f"convs.{2 * k + 1}", "torgb": f"to_rgbs.{k}"}[layer]


def _ros_noise(res: str, layer: str) -> str:
  if res == "4":
    return "noises.noise_0"
  k = int(math.log2(int(res))) - 3
  return f"noises.noise_{2 * k + 1 + (layer == 'conv1')}"


ROS_RULES = [
  Rule(r"params/mapping/fc(\d+)/weight", lambda m: f"style.{int(m[1]) + 1}.weight", np.transpose),
  Rule(r"params/mapping/fc(\d+)/bias", lambda m: f"style.{int(m[1]) + 1}.bias"),
  Rule(r"buffers/mapping/w_avg", lambda m: "latent_avg", np.ravel),
  Rule(r"params/synthesis/b4/const", lambda m: "input.input", _chw_to_hwc),
  Rule(
    rf"params/synthesis/b(\d+)/{_LAYER}/weight",
    lambda m: f"{_ros_layer(m[1], m[2])}.conv.weight",
    lambda w: torch_conv_to_hwio(w[0]),
  ),
  Rule(
    rf"params/synthesis/b(\d+)/{_LAYER}/affine/weight",
    lambda m: f"{_ros_layer(m[1], m[2])}.conv.modulation.weight",
    np.transpose,
  ),
  Rule(
    rf"params/synthesis/b(\d+)/{_LAYER}/affine/bias",
    lambda m: f"{_ros_layer(m[1], m[2])}.conv.modulation.bias",
  ),
  Rule(
    r"params/synthesis/b(\d+)/(conv0|conv1)/noise_strength",
    lambda m: f"{_ros_layer(m[1], m[2])}.noise.weight",
    _scalar,
  ),
  Rule(
    r"params/synthesis/b(\d+)/(conv0|conv1)/bias",
    lambda m: f"{_ros_layer(m[1], m[2])}.activate.bias",
  ),
  Rule(
    r"params/synthesis/b(\d+)/torgb/bias", lambda m: f"{_ros_layer(m[1], 'torgb')}.bias", np.ravel
  ),
  Rule(
    r"buffers/synthesis/b(\d+)/(conv0|conv1)/noise_const",
    lambda m: _ros_noise(m[1], m[2]),
    _squeeze_to_2d,
  ),
]
ROS_IGNORED = {
  r"convs\.\d+\.conv\.blur\.kernel": _expect_filter(4.0),
  r"to_rgbs\.\d+\.upsample\.kernel": _expect_filter(4.0),
}


def read_ros(
  checkpoint: Mapping, mapping_lr_multiplier: float = 0.01
) -> tuple[GeneratorConfig, dict]:
  state = {k: np.asarray(v) for k, v in checkpoint["g_ema"].items()}
  n_mlp = sum(1 for k in state if k.startswith("style.") and k.endswith(".weight"))
  num_rgbs = sum(1 for k in state if k.startswith("to_rgbs.") and k.endswith(".conv.weight"))
  resolution = 2 ** (num_rgbs + 2)
  channels = [state["conv1.conv.weight"].shape[1]]
  channels += [state[f"convs.{2 * k + 1}.conv.weight"].shape[1] for k in range(num_rgbs)]
  w_dim = state["style.1.weight"].shape[0]
  config = GeneratorConfig(
    resolution=resolution,
    channels=channels,
    z_dim=w_dim,
    w_dim=w_dim,
    mapping_layers=n_mlp,
    mapping_lr_multiplier=mapping_lr_multiplier,
  )
  if "latent_avg" in checkpoint:
    state["latent_avg"] = np.asarray(checkpoint["latent_avg"])
    return config, _convert(config, ROS_RULES, state, ROS_IGNORED)
  state["latent_avg"] = np.zeros([w_dim], np.float32)
  variables = _convert(config, ROS_RULES, state, ROS_IGNORED)
  variables["buffers"]["mapping"]["w_avg"] = mean_w(config, variables, W_AVG_NUM_Z, W_AVG_SEED)
  print(
    f"note: no latent_avg in the checkpoint; w_avg computed as the mean W of "
    f"{W_AVG_NUM_Z} z (numpy seed {W_AVG_SEED})",
    file=sys.stderr,
  )
  return config, variables


# --- NVlabs TensorFlow StyleGAN2 -------------------------------------------------------


def _tf_layer(res: str, layer: str) -> str:
  if res == "4":
    return {"conv1": "synthesis/4x4/Conv", "torgb": "synthesis/4x4/ToRGB"}[layer]
  return (
    f"synthesis/{res}x{res}/" + {"conv0": "Conv0_up", "conv1": "Conv1", "torgb": "ToRGB"}[layer]
  )


def _tf_noise(res: str, layer: str) -> str:
  log2 = int(math.log2(int(res)))
  return "synthesis/noise0" if res == "4" else f"synthesis/noise{2 * log2 - 5 + (layer == 'conv1')}"


def _tf_weight(m):
  return f"{_tf_layer(m[1], m[2])}/weight"


TF_RULES = [
  Rule(r"params/mapping/fc(\d+)/(weight|bias)", lambda m: f"mapping/Dense{m[1]}/{m[2]}"),
  Rule(r"buffers/mapping/w_avg", lambda m: "dlatent_avg"),
  Rule(r"params/synthesis/b4/const", lambda m: "synthesis/4x4/Const/const", _chw_to_hwc),
  # TF flips the kernel inside its up-conv; the PyTorch references (and this port) do not.
  Rule(r"params/synthesis/b(\d+)/(conv0)/weight", _tf_weight, lambda w: w[::-1, ::-1]),
  Rule(r"params/synthesis/b(\d+)/(conv1|torgb)/weight", _tf_weight),
  Rule(
    rf"params/synthesis/b(\d+)/{_LAYER}/(bias|noise_strength)",
    lambda m: f"{_tf_layer(m[1], m[2])}/{m[3]}",
  ),
  Rule(
    rf"params/synthesis/b(\d+)/{_LAYER}/affine/weight",
    lambda m: f"{_tf_layer(m[1], m[2])}/mod_weight",
  ),
  # TF adds the modulation bias's initial 1 at run time instead of storing it.
  Rule(
    rf"params/synthesis/b(\d+)/{_LAYER}/affine/bias",
    lambda m: f"{_tf_layer(m[1], m[2])}/mod_bias",
    lambda b: b + 1,
  ),
  Rule(
    r"buffers/synthesis/b(\d+)/(conv0|conv1)/noise_const",
    lambda m: _tf_noise(m[1], m[2]),
    _squeeze_to_2d,
  ),
]
TF_IGNORED = {r"(synthesis/)?lod": lambda name, value: None}


def read_tf(networks: tuple) -> tuple[GeneratorConfig, dict]:
  gs = networks[2]
  if gs.state.get("build_func_name") == "G_style":
    raise ConversionError(_V1_HINT.format(what="a StyleGAN (v1) TF pickle"))
  if int(gs.state.get("version", 0)) < 4:
    raise ConversionError(
      f"TF network pickle version {gs.state.get('version')} is too old (need >= 4)"
    )
  kwargs = safe_pickle.tf_static_kwargs(gs)
  if kwargs.get("label_size", 0):
    raise ConversionError("conditional generators (label_size > 0) are not supported")
  if kwargs.get("architecture", "skip") != "skip":
    raise ConversionError(
      f"only the 'skip' architecture is supported, got {kwargs['architecture']!r}"
    )
  tensors = safe_pickle.tf_variables(gs)
  n_mlp = sum(1 for k in tensors if k.startswith("mapping/Dense") and k.endswith("/weight"))
  rgbs = sorted(int(k.split("/")[1].split("x")[0]) for k in tensors if k.endswith("/ToRGB/weight"))
  resolution = rgbs[-1]
  config = GeneratorConfig(
    resolution=resolution,
    channels=[
      tensors[_tf_layer(str(r), "conv1") + "/weight"].shape[-1] for r in _resolutions(resolution)
    ],
    z_dim=tensors["mapping/Dense0/weight"].shape[0],
    w_dim=tensors["dlatent_avg"].shape[-1],
    mapping_layers=n_mlp,
    mapping_lr_multiplier=float(kwargs.get("mapping_lrmul", 0.01)),
    img_channels=tensors[f"{_tf_layer(str(resolution), 'torgb')}/weight"].shape[-1],
    conv_clamp=kwargs.get("conv_clamp"),
    num_fp16_res=int(kwargs.get("num_fp16_res", 0)),
  )
  return config, _convert(config, TF_RULES, tensors, TF_IGNORED)


# --- shared ----------------------------------------------------------------------------

_V1_HINT = "{what}, not StyleGAN2: convert it with isf-jax-convert stylegan1"


def _resolutions(resolution: int):
  return [2**i for i in range(2, int(math.log2(resolution)) + 1)]


def _convert(config, rules, tensors, ignored) -> dict:
  shapes = {p: s.shape for p, s in flatten(variable_shapes(config)).items()}
  return unflatten(apply_rules(rules, tensors, shapes, ignored))


def detect_format(obj) -> str:
  if isinstance(obj, Mapping) and "G_ema" in obj:
    return "ada"
  if isinstance(obj, Mapping) and "g_ema" in obj:
    return "rosinality"
  if (
    isinstance(obj, tuple)
    and len(obj) == 3
    and all(isinstance(n, safe_pickle.TFNetworkRecord) for n in obj)
  ):
    return "tf"
  if isinstance(obj, Mapping) and "synthesis.layer0.first_layer" in obj:
    raise ConversionError(_V1_HINT.format(what="InterFaceGAN's StyleGAN (v1) state_dict"))
  found = f"keys {sorted(map(str, obj))[:8]}" if isinstance(obj, Mapping) else type(obj).__name__
  raise ConversionError(
    "not a StyleGAN2 generator checkpoint "
    f"(expected G_ema, g_ema or a TF (G, D, Gs) tuple; found {found})"
  )


def read_object(obj, mapping_lr_multiplier: float = 0.01) -> tuple[GeneratorConfig, dict, str]:
  """(config, variables, format name) of an unpickled StyleGAN2 checkpoint."""
  fmt = detect_format(obj)
  if fmt == "ada":
    config, variables = read_ada(obj)
  elif fmt == "rosinality":
    config, variables = read_ros(obj, mapping_lr_multiplier)
  else:
    config, variables = read_tf(obj)
  return config, variables, fmt


def read_generator(path, mapping_lr_multiplier: float = 0.01) -> tuple[GeneratorConfig, dict, str]:
  """Load a foreign StyleGAN2 checkpoint file: (config, variables, format name)."""
  return read_object(safe_pickle.load_checkpoint_file(path), mapping_lr_multiplier)
