"""Read the official ISF-GAN checkpoints (yhlleo/stylegan-mmuit): file -> (configs, params).

The file is `{step:06d}_nets_ema.ckpt` (use this one for editing: the EMA ISF) or
`{step:06d}_nets.ckpt`: a torch.save dict with `mapnet` and optionally `discriminator`
state dicts, keys with or without a `module.` prefix. The architecture (pre_norm, norm,
W or W+, layers, widths, image size) is read off the weights; `use_residual` is not
visible in them (off in the official scripts), hence the `residual` argument.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from isf_jax.formats import safe_pickle
from isf_jax.formats.tables import ConversionError, Rule, apply_rules, flatten, unflatten

Z = "w_net.z_net"


def isf_rules(pre_norm: bool) -> list[Rule]:
  # torch Sequential indices of the trunk's Linear and LayerNorm layers 1..3 and of f2.
  trunk_fc, trunk_ln = ((3, 6, 9), (2, 5, 8)) if pre_norm else ((2, 5, 8), (4, 7, 10))
  f2_fc, f2_ln = ((1, 4, 7), (0, 3, 6)) if pre_norm else ((0, 3, 6), (None, 2, 5))
  linear = {"kernel": ("weight", np.transpose), "bias": ("bias", np.asarray)}
  norm = {"scale": ("weight", np.asarray), "bias": ("bias", np.asarray)}

  rules = []
  for target, source, table in [
    (r"f1/fc0", lambda m: f"{Z}.shared.0", linear),
    (r"f1/fc([123])", lambda m: f"{Z}.shared.{trunk_fc[int(m[1]) - 1]}", linear),
    (r"f1/ln([123])", lambda m: f"{Z}.shared.{trunk_ln[int(m[1]) - 1]}", norm),
    (r"f1/head(\d+)_fc([012])", lambda m: f"{Z}.unshared.{m[1]}.{2 * int(m[2])}", linear),
    (r"adanorm/fc", lambda m: "w_net.adain.fc", linear),
    (r"adanorm/ln", lambda m: "w_net.adain.norm", norm),
    (r"f2/fc([012])", lambda m: f"w_net.fc.{f2_fc[int(m[1])]}", linear),
    (r"f2/ln([012])", lambda m: f"w_net.fc.{f2_ln[int(m[1])]}", norm),
  ]:
    for leaf, (torch_name, transform) in table.items():
      rules.append(
        Rule(
          f"{target}/{leaf}",
          lambda m, source=source, torch_name=torch_name: f"{source(m)}.{torch_name}",
          transform,
        )
      )
  return rules


def _conv_rules(target, source):
  return [
    Rule(
      f"{target}/kernel", lambda m: f"{source(m)}.weight", lambda w: np.transpose(w, (2, 3, 1, 0))
    ),
    Rule(f"{target}/bias", lambda m: f"{source(m)}.bias"),
  ]


D_RULES = [
  *_conv_rules(r"stem", lambda m: "main.0"),
  *_conv_rules(r"block(\d+)/(conv1|conv2)", lambda m: f"main.{int(m[1]) + 1}.{m[2]}"),
  *_conv_rules(r"block(\d+)/shortcut", lambda m: f"main.{int(m[1]) + 1}.conv1x1"),
  *_conv_rules(r"(cls|src)_head/conv", lambda m: f"out_{m[1]}.1"),
  *_conv_rules(r"(cls|src)_head/out", lambda m: f"out_{m[1]}.3"),
]


def _strip_module_prefix(state: Mapping) -> dict:
  return {re.sub(r"^module\.", "", k): np.asarray(v) for k, v in state.items()}


def isf_config_from_state(state: Mapping, num_domains: int, residual: bool) -> dict:
  if f"{Z}.shared.0.weight" not in state:
    raise ConversionError("mapnet has no w_net.z_net.shared.0.weight: not an ISF-GAN checkpoint")
  heads = sum(1 for k in state if re.fullmatch(rf"{Z}\.unshared\.\d+\.0\.weight", k))
  hidden_dim, in_dim = state[f"{Z}.shared.0.weight"].shape
  pre_norm = state[f"{Z}.shared.2.weight"].ndim == 1  # LayerNorm (1-D weight) right after fc0
  norm = "none"
  if "w_net.adain.fc.weight" in state:
    norm = "adaln" if "w_net.adain.norm.weight" in state else "adain"
  return dict(
    num_layers=heads,
    num_domains=num_domains,
    latent="w" if heads == 1 else "wp",
    norm=norm,
    pre_norm=pre_norm,
    residual=residual,
    hidden_dim=int(hidden_dim),
    noise_dim=int(in_dim) - num_domains,
    w_dim=int(state[f"w_net.fc.{7 if pre_norm else 6}.weight"].shape[0]),  # f2's last Linear
  )


def d_config_from_state(state: Mapping) -> dict:
  blocks = sum(1 for k in state if re.fullmatch(r"main\.\d+\.conv1\.weight", k))
  widths = [state[f"main.{i + 1}.conv2.weight"].shape[0] for i in range(blocks)]
  return dict(
    img_size=2 ** (blocks + 2),
    num_domains=int(state["out_cls.3.weight"].shape[0]),
    dim_in=int(state["main.0.weight"].shape[0]),
    max_channels=int(max(widths)),
  )


def read_isf_checkpoint(path, residual=False, num_domains=None) -> tuple[dict, dict]:
  """({'isf': kwargs, 'discriminator': kwargs or None}, {'isf': params, 'discriminator': ...})."""
  import jax
  import jax.numpy as jnp

  from isf_jax.models.discriminator import Discriminator
  from isf_jax.models.isf import ISF

  ckpt = safe_pickle.load_checkpoint_file(path)
  if not isinstance(ckpt, Mapping) or "mapnet" not in ckpt:
    found = sorted(map(str, ckpt))[:8] if isinstance(ckpt, Mapping) else type(ckpt).__name__
    raise ConversionError(f"not an ISF-GAN checkpoint (expected a 'mapnet' entry; found {found})")
  mapnet = _strip_module_prefix(ckpt["mapnet"])
  disc = _strip_module_prefix(ckpt["discriminator"]) if "discriminator" in ckpt else None
  d_config = d_config_from_state(disc) if disc else None
  if num_domains is None:
    if d_config is None:
      raise ConversionError(
        "no discriminator in the checkpoint to read the number of attributes from: give num_domains"
      )
    num_domains = d_config["num_domains"]
  isf_config = isf_config_from_state(mapnet, num_domains, residual)
  module_kwargs = {k: v for k, v in isf_config.items() if k not in ("noise_dim", "w_dim")}
  wp = (
    (2, isf_config["w_dim"])
    if isf_config["latent"] == "w"
    else (2, isf_config["num_layers"], isf_config["w_dim"])
  )
  isf_shapes = jax.eval_shape(
    ISF(**module_kwargs).init,
    jax.random.key(0),
    jnp.zeros(wp),
    jnp.zeros((2, isf_config["noise_dim"])),
    jnp.zeros((2, num_domains)),
  )["params"]
  params = {
    "isf": unflatten(apply_rules(isf_rules(isf_config["pre_norm"]), mapnet, _shapes(isf_shapes)))
  }
  configs = {"isf": isf_config, "discriminator": d_config}
  if disc:
    size = d_config["img_size"]
    d_shapes = jax.eval_shape(
      Discriminator(**d_config).init, jax.random.key(0), jnp.zeros((1, size, size, 3))
    )["params"]
    params["discriminator"] = unflatten(apply_rules(D_RULES, disc, _shapes(d_shapes)))
  return configs, params


def _shapes(tree) -> dict:
  return {p: s.shape for p, s in flatten(tree).items()}
