"""The ISF checkpoint: one writer (`save_isf`) and one reader (`load_isf`).

A directory in the `isf_jax.checkpoints` layout. Its config.json holds
  {"isf": ISF keyword arguments + "noise_dim" + "w_dim", "discriminator": the discriminator's
   keyword arguments or null, "attributes": label-slot names or null, "generator": the
   generator it was trained against or null, "step": int or null}
and its variables {"isf": params, "discriminator": params (when converted with one)}. The
trainer's export (`workdir/isf_ema`) and `convert.isf` write it; `load_isf` also reads an
official `{step}_nets(_ema).ckpt` file directly.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from isf_jax import checkpoints
from isf_jax.models.isf import ISF

MAKE_COMMAND = (
  "train one with `python -m isf_jax.train` (it exports WORKDIR/isf_ema) or convert an "
  "official checkpoint with `isf-jax-convert isf`"
)


@dataclasses.dataclass(frozen=True)
class ISFInfo:
  """What a checkpoint says about its ISF, beyond the parameters."""

  isf: dict  # ISF(**isf): num_layers, num_domains, latent, norm, pre_norm, residual, hidden_dim
  noise_dim: int
  w_dim: int
  attributes: tuple[str, ...] | None = None  # names of the label slots, if known
  generator: str | None = None  # the generator it was trained against (a built-in world or a path)
  step: int | None = None
  discriminator: dict | None = None  # Discriminator(**discriminator), if the file has one

  @property
  def latent(self) -> str:
    return self.isf["latent"]

  @property
  def num_layers(self) -> int:
    return self.isf["num_layers"]

  @property
  def num_domains(self) -> int:
    return self.isf["num_domains"]

  def latent_shape(self, batch: int = 1) -> tuple[int, ...]:
    """Shape of the codes it edits: [N, L, C] (W+) or [N, C] (W)."""
    if self.latent == "w":
      return (batch, self.w_dim)
    return (batch, self.num_layers, self.w_dim)

  def to_json(self) -> str:
    return json.dumps(
      {
        "isf": dict(self.isf, noise_dim=self.noise_dim, w_dim=self.w_dim),
        "discriminator": self.discriminator,
        "attributes": list(self.attributes) if self.attributes is not None else None,
        "generator": self.generator,
        "step": self.step,
      },
      indent=2,
    )

  @classmethod
  def from_dict(cls, config: dict, where) -> ISFInfo:
    if not isinstance(config.get("isf"), dict):
      raise ValueError(f"{where} is not an ISF checkpoint (its config has no 'isf' entry)")
    isf = dict(config["isf"])
    try:
      noise_dim, w_dim = int(isf.pop("noise_dim")), int(isf.pop("w_dim"))
    except KeyError as e:
      raise ValueError(f"{where}: the ISF config lacks {e.args[0]!r}") from None
    attributes = config.get("attributes")
    return cls(
      isf=isf,
      noise_dim=noise_dim,
      w_dim=w_dim,
      attributes=tuple(attributes) if attributes is not None else None,
      generator=config.get("generator"),
      step=config.get("step"),
      discriminator=config.get("discriminator"),
    )


def expected_shapes(info: ISFInfo):
  """The ISF's parameter shapes for `info` (a pytree of ShapeDtypeStruct)."""
  return jax.eval_shape(
    ISF(**info.isf).init,
    jax.random.key(0),
    jnp.zeros(info.latent_shape()),
    jnp.zeros((1, info.noise_dim)),
    jnp.zeros((1, info.num_domains)),
  )["params"]


def check_params(info: ISFInfo, params, where) -> None:
  want = jax.tree.map(lambda s: tuple(s.shape), expected_shapes(info))
  got = jax.tree.map(np.shape, params)
  if want != got:
    raise ValueError(f"{where}: the ISF parameter shapes do not match its config")


def save_isf(path, info: ISFInfo, params, discriminator_params=None, overwrite=False) -> None:
  """Write an ISF checkpoint directory atomically (`discriminator_params` needs
  `info.discriminator`)."""
  if (discriminator_params is None) != (info.discriminator is None):
    raise ValueError("give the discriminator's parameters and its config together")
  check_params(info, params, path)
  variables = {"isf": jax.device_get(params)}
  if discriminator_params is not None:
    variables["discriminator"] = jax.device_get(discriminator_params)
  checkpoints.save_directory(path, variables, info.to_json(), overwrite=overwrite)


def read_isf(path, residual: bool = False, num_domains: int | None = None):
  """(info, {"isf": params, "discriminator": params?}) of a checkpoint directory or an
  official `.ckpt` file (for which `residual` and `num_domains` fill what it does not store)."""
  path = Path(path)
  if path.is_file():
    from isf_jax.formats.isf import read_isf_checkpoint

    configs, params = read_isf_checkpoint(path, residual, num_domains)
    return ISFInfo.from_dict(configs, path), params
  if not checkpoints.is_checkpoint(path):
    raise FileNotFoundError(f"no ISF checkpoint at {path}: {MAKE_COMMAND}")
  config_text, variables = checkpoints.load_directory(path)
  info = ISFInfo.from_dict(json.loads(config_text), path)
  if "isf" not in variables:
    raise ValueError(f"{path} is not an ISF checkpoint (no 'isf' variables)")
  check_params(info, variables["isf"], path)
  return info, variables


def load_isf(path, residual: bool = False, num_domains: int | None = None):
  """(ISF module, {"params": ...} ready for `apply`, ISFInfo) from a checkpoint directory
  (converted or a trainer's `workdir/isf_ema`) or an official `{step}_nets(_ema).ckpt`."""
  info, variables = read_isf(path, residual, num_domains)
  params = jax.tree.map(jnp.asarray, variables["isf"])
  return ISF(**info.isf), {"params": params}, info
