"""Read StyleGAN (v1) generators into `isf_jax.stylegan1` (config, variables).

Sources (told apart by content, not by name):
  * NVlabs TensorFlow pickle (`karras2019stylegan-ffhq-1024x1024.pkl`): a (G, D, Gs) tuple of
    `dnnlib.tflib.network.Network` objects, read without TensorFlow; Gs (the running average)
    is the one used.
  * InterFaceGAN's `.pth` (`stylegan_ffhq.pth`): the state_dict of its
    `StyleGANGeneratorModel` as its converter writes it (no `truncation.truncation`; the
    fused up-conv weights stay in TF layout [3, 3, in, out] under `layer{i}.weight`).

Every target variable comes from exactly one source tensor, shapes are checked, and every
source tensor must be used or be one of the documented leftovers: `lod` (must be 0, i.e. a
finished progressive-growing run), the ToRGB layers of the lower resolutions (unused at
lod 0), the fixed [1, 2, 1] blur kernels and InterFaceGAN's truncation coefficients.
"""

from __future__ import annotations

import math
import re
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
from isf_jax.stylegan1 import ops
from isf_jax.stylegan1.config import GeneratorConfig
from isf_jax.stylegan1.networks import variable_shapes

_EPILOGUE = r"(input|conv0|conv1)"


def _layer_index(res: str, layer: str) -> int:
  """Synthesis layer number of b{res}/{layer}: input 0, b4/conv1 1, b8/conv0 2, ..."""
  base = 2 * (int(math.log2(int(res))) - 2)
  return base + (layer == "conv1")


def _chw_to_hwc(x):
  return np.transpose(x.reshape(x.shape[-3:]), (1, 2, 0))


def _squeeze_to_2d(x):
  return x.reshape(x.shape[-2:])


def _expect_zero_lod(name, value):
  if float(np.asarray(value)) != 0.0:
    raise ConversionError(
      f"{name} = {float(np.asarray(value))}: a progressive-growing snapshot mid-transition; "
      "only finished generators (lod 0) are supported"
    )


def _expect_blur(name, value):
  kernel = np.asarray(value)  # [C, 1, 3, 3]
  if kernel.shape[1:] != (1, 3, 3) or not np.allclose(kernel, ops.BLUR_FILTER, atol=1e-7):
    raise ConversionError(f"{name}: only the [1, 2, 1] blur filter is supported")


def _unused(name, value):
  """Lower-resolution ToRGB layers and derived coefficients: not part of the lod-0 network."""


# --- NVlabs TensorFlow pickle ----------------------------------------------------------


def _tf_layer(res: str, layer: str) -> str:
  if res == "4":
    return {"input": "synthesis/4x4/Const", "conv1": "synthesis/4x4/Conv"}[layer]
  return f"synthesis/{res}x{res}/" + {"conv0": "Conv0_up", "conv1": "Conv1"}[layer]


TF_RULES = [
  Rule(r"params/mapping/fc(\d+)/(weight|bias)", lambda m: f"mapping/Dense{m[1]}/{m[2]}"),
  Rule(r"buffers/mapping/w_avg", lambda m: "dlatent_avg"),
  Rule(r"params/synthesis/b4/input/const", lambda m: "synthesis/4x4/Const/const", _chw_to_hwc),
  Rule(
    r"params/synthesis/b(\d+)/(conv0|conv1)/weight", lambda m: f"{_tf_layer(m[1], m[2])}/weight"
  ),
  Rule(rf"params/synthesis/b(\d+)/{_EPILOGUE}/bias", lambda m: f"{_tf_layer(m[1], m[2])}/bias"),
  Rule(
    rf"params/synthesis/b(\d+)/{_EPILOGUE}/noise_strength",
    lambda m: f"{_tf_layer(m[1], m[2])}/Noise/weight",
  ),
  Rule(
    rf"params/synthesis/b(\d+)/{_EPILOGUE}/style/(weight|bias)",
    lambda m: f"{_tf_layer(m[1], m[2])}/StyleMod/{m[3]}",
  ),
  Rule(
    rf"buffers/synthesis/b(\d+)/{_EPILOGUE}/noise_const",
    lambda m: f"synthesis/noise{_layer_index(m[1], m[2])}",
    _squeeze_to_2d,
  ),
  Rule(r"params/synthesis/torgb/(weight|bias)", lambda m: f"synthesis/ToRGB_lod0/{m[1]}"),
]
TF_LEFTOVERS = {
  r"(synthesis/)?lod": _expect_zero_lod,
  r"synthesis/ToRGB_lod[1-9]\d*/(weight|bias)": _unused,
}

# G_style / G_mapping / G_synthesis options this port implements, with the required value.
_TF_REQUIRED = {
  "label_size": 0,
  "use_styles": True,
  "const_input_layer": True,
  "use_noise": True,
  "nonlinearity": "lrelu",
  "mapping_nonlinearity": "lrelu",
  "use_wscale": True,
  "use_pixel_norm": False,
  "use_instance_norm": True,
  "normalize_latents": True,
  "blur_filter": [1, 2, 1],
}
_TF_FUSED = {"auto": 128, True: 8, False: None}


def read_tf(networks: tuple) -> tuple[GeneratorConfig, dict]:
  gs = networks[2]
  func = gs.state.get("build_func_name")
  if func != "G_style":
    raise ConversionError(f"Gs is built by {func!r}, not StyleGAN's G_style")
  kwargs = safe_pickle.tf_static_kwargs(gs)
  for key, required in _TF_REQUIRED.items():
    if key in kwargs and kwargs[key] != required:
      raise ConversionError(f"unsupported G option {key}={kwargs[key]!r} (need {required!r})")
  fused = kwargs.get("fused_scale", "auto")
  if fused not in _TF_FUSED:
    raise ConversionError(f"unsupported fused_scale {fused!r}")
  tensors = safe_pickle.tf_variables(gs)
  for name in ("mapping/Dense0/weight", "dlatent_avg", "synthesis/4x4/Conv/bias"):
    if name not in tensors:
      raise ConversionError(f"Gs has no variable {name}: not a StyleGAN generator")
  num_layers = sum(1 for k in tensors if re.fullmatch(r"synthesis/noise\d+", k))
  resolution = int(kwargs.get("resolution", 2 ** (num_layers // 2 + 1)))
  config = GeneratorConfig(
    resolution=resolution,
    channels=[
      _channels(tensors, _tf_layer(str(r), "conv1") + "/", "/") for r in _resolutions(resolution)
    ],
    z_dim=tensors["mapping/Dense0/weight"].shape[0],
    w_dim=tensors["dlatent_avg"].shape[-1],
    mapping_layers=sum(1 for k in tensors if re.fullmatch(r"mapping/Dense\d+/weight", k)),
    mapping_lr_multiplier=float(kwargs.get("mapping_lrmul", 0.01)),
    img_channels=int(kwargs.get("num_channels", 3)),
    fused_upsample_min_res=_TF_FUSED[fused],
  )
  return config, _convert(config, TF_RULES, tensors, TF_LEFTOVERS)


# --- InterFaceGAN .pth -----------------------------------------------------------------


def _pth_layer(res: str, layer: str) -> str:
  return f"synthesis.layer{_layer_index(res, layer)}"


def pth_rules(config: GeneratorConfig) -> list[Rule]:
  """Rules for InterFaceGAN's names; the up-conv weight's name and layout depend on fusing."""

  def up_weight(m):
    fused = config.fused_upsample(int(m[1]))
    return f"{_pth_layer(m[1], 'conv0')}." + ("weight" if fused else "conv.weight")

  def up_weight_to_hwio(res):
    return lambda w: w if config.fused_upsample(res) else torch_conv_to_hwio(w)

  last_rgb = f"synthesis.output{config.num_blocks - 1}"
  epilogue = lambda m: f"{_pth_layer(m[1], m[2])}.epilogue"  # noqa: E731
  rules = [
    Rule(
      r"params/mapping/fc(\d+)/weight", lambda m: f"mapping.dense{m[1]}.linear.weight", np.transpose
    ),
    Rule(r"params/mapping/fc(\d+)/bias", lambda m: f"mapping.dense{m[1]}.wscale.bias"),
    Rule(r"buffers/mapping/w_avg", lambda m: "truncation.w_avg"),
    Rule(r"params/synthesis/b4/input/const", lambda m: "synthesis.layer0.first_layer", _chw_to_hwc),
    Rule(
      r"params/synthesis/b(\d+)/conv1/weight",
      lambda m: f"{_pth_layer(m[1], 'conv1')}.conv.weight",
      torch_conv_to_hwio,
    ),
    Rule(rf"params/synthesis/b(\d+)/{_EPILOGUE}/bias", lambda m: f"{epilogue(m)}.bias"),
    Rule(
      rf"params/synthesis/b(\d+)/{_EPILOGUE}/noise_strength",
      lambda m: f"{epilogue(m)}.apply_noise.weight",
    ),
    Rule(
      rf"params/synthesis/b(\d+)/{_EPILOGUE}/style/weight",
      lambda m: f"{epilogue(m)}.style_mod.dense.linear.weight",
      np.transpose,
    ),
    Rule(
      rf"params/synthesis/b(\d+)/{_EPILOGUE}/style/bias",
      lambda m: f"{epilogue(m)}.style_mod.dense.wscale.bias",
    ),
    Rule(
      rf"buffers/synthesis/b(\d+)/{_EPILOGUE}/noise_const",
      lambda m: f"{epilogue(m)}.apply_noise.noise",
      _squeeze_to_2d,
    ),
    Rule(r"params/synthesis/torgb/weight", lambda m: f"{last_rgb}.conv.weight", torch_conv_to_hwio),
    Rule(r"params/synthesis/torgb/bias", lambda m: f"{last_rgb}.bias"),
  ]
  # One rule per upsampling block: the transform depends on the block's resolution.
  for res in config.resolutions[1:]:
    rules.append(
      Rule(rf"params/synthesis/b({res})/conv0/weight", up_weight, up_weight_to_hwio(res))
    )
  return rules


PTH_LEFTOVERS = {
  r"synthesis\.lod": _expect_zero_lod,
  r"synthesis\.layer\d+\.blur\.kernel": _expect_blur,
  r"truncation\.truncation": _unused,  # psi/cutoff coefficients, set at run time here
}


def read_interfacegan(state: Mapping, mapping_lr_multiplier: float = 0.01):
  """(config, variables) from InterFaceGAN's StyleGAN state_dict."""
  tensors = {k: np.asarray(v) for k, v in state.items()}
  layers = {int(m[1]) for k in tensors if (m := re.match(r"synthesis\.layer(\d+)\.", k))}
  num_layers = max(layers, default=-1) + 1
  num_dense = sum(1 for k in tensors if re.fullmatch(r"mapping\.dense\d+\.linear\.weight", k))
  if num_layers < 4 or num_layers % 2 or num_dense == 0 or "truncation.w_avg" not in tensors:
    raise ConversionError(
      f"not a complete InterFaceGAN StyleGAN state_dict ({num_layers} synthesis layers, "
      f"{num_dense} mapping layers, truncation.w_avg "
      f"{'present' if 'truncation.w_avg' in tensors else 'missing'})"
    )
  resolution = 2 ** (num_layers // 2 + 1)
  fused = [
    r for r in _resolutions(resolution)[1:] if f"{_pth_layer(str(r), 'conv0')}.weight" in tensors
  ]
  if fused and fused != [r for r in _resolutions(resolution) if r >= fused[0]]:
    raise ConversionError(
      f"fused upsampling at {fused} only: it must cover every block from one up"
    )
  last_rgb = f"synthesis.output{num_layers // 2 - 1}.conv.weight"
  config = GeneratorConfig(
    resolution=resolution,
    channels=[
      _channels(tensors, f"{_pth_layer(str(r), 'conv1')}.epilogue.", ".")
      for r in _resolutions(resolution)
    ],
    z_dim=tensors["mapping.dense0.linear.weight"].shape[1],
    w_dim=tensors["truncation.w_avg"].shape[0],
    mapping_layers=num_dense,
    mapping_lr_multiplier=mapping_lr_multiplier,
    img_channels=tensors[last_rgb].shape[0] if last_rgb in tensors else 3,
    fused_upsample_min_res=_pth_fused_min_res(fused, resolution),
  )
  lower_rgbs = {
    rf"synthesis\.output{k}\.(conv\.weight|bias)": _unused for k in range(config.num_blocks - 1)
  }
  return config, _convert(config, pth_rules(config), tensors, PTH_LEFTOVERS | lower_rgbs)


def _pth_fused_min_res(fused: list[int], resolution: int) -> int | None:
  """The first fused block; with none, 'auto' (128) below 128 px (the same network), else never."""
  if fused:
    return fused[0]
  return 128 if resolution < 128 else None


def _channels(tensors: Mapping, layer: str, sep: str) -> int:
  """Output channels of a synthesis layer, from its bias or else its noise strengths."""
  for name in ("bias", f"apply_noise{sep}weight", f"Noise{sep}weight"):
    if layer + name in tensors:
      return tensors[layer + name].shape[0]
  raise ConversionError(f"no bias or noise strength for {layer.rstrip(sep)}: cannot size it")


# --- shared ----------------------------------------------------------------------------


def _resolutions(resolution: int) -> list[int]:
  return [2**i for i in range(2, int(math.log2(resolution)) + 1)]


def _convert(config, rules, tensors, leftovers) -> dict:
  shapes = {p: s.shape for p, s in flatten(variable_shapes(config)).items()}
  return unflatten(apply_rules(rules, tensors, shapes, leftovers))


def detect_format(obj) -> str:
  if (
    isinstance(obj, tuple)
    and len(obj) == 3
    and all(isinstance(n, safe_pickle.TFNetworkRecord) for n in obj)
  ):
    return "tf"
  if isinstance(obj, Mapping) and "synthesis.layer0.first_layer" in obj:
    return "interfacegan"
  if isinstance(obj, Mapping) and ("G_ema" in obj or "g_ema" in obj):
    raise ConversionError(
      "this is a StyleGAN2 checkpoint; convert it with isf-jax-convert stylegan2"
    )
  found = f"keys {sorted(map(str, obj))[:8]}" if isinstance(obj, Mapping) else type(obj).__name__
  raise ConversionError(
    "not a StyleGAN (v1) generator checkpoint (expected a TF (G, D, Gs) pickle or "
    f"InterFaceGAN's state_dict with synthesis.layer0.first_layer; found {found})"
  )


def is_stylegan1(obj) -> bool:
  """Whether an unpickled checkpoint holds a StyleGAN v1 generator (NVlabs TF or InterFaceGAN)."""
  if isinstance(obj, Mapping):
    return "synthesis.layer0.first_layer" in obj
  return (
    isinstance(obj, tuple)
    and len(obj) == 3
    and isinstance(obj[2], safe_pickle.TFNetworkRecord)
    and obj[2].state.get("build_func_name") == "G_style"
  )


def read_object(obj, mapping_lr_multiplier: float = 0.01) -> tuple[GeneratorConfig, dict, str]:
  """(config, variables, format name) of an unpickled StyleGAN v1 checkpoint.

  `mapping_lr_multiplier` is for the `.pth`, which does not store it (InterFaceGAN: 0.01).
  """
  fmt = detect_format(obj)
  if fmt == "tf":
    config, variables = read_tf(obj)
  else:
    config, variables = read_interfacegan(obj, mapping_lr_multiplier)
  return config, variables, fmt


def read_generator(path, mapping_lr_multiplier: float = 0.01) -> tuple[GeneratorConfig, dict, str]:
  """Load a foreign StyleGAN v1 checkpoint file: (config, variables, format name)."""
  return read_object(safe_pickle.load_checkpoint_file(path), mapping_lr_multiplier)
