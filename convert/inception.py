"""Convert InceptionV3 weights (PyTorch state dicts) to the project's checkpoints.

python -m convert.inception SRC [OUT] [--variant pytorch_fid|torchvision] [--overwrite]

SRC: pytorch-fid's `pt_inception-2015-12-05-6726825d.pth` (variant "pytorch_fid") or
torchvision's `inception_v3_google-0cc3c7bd.pth` (variant "torchvision", the official ISF-GAN
FID network). Without --variant it is read from the classifier size (1008 classes:
pytorch-fid, 1000: torchvision). OUT defaults to `$ISF_JAX_CACHE/inception/{variant}` (or
`~/.cache/isf_jax/inception/{variant}`), where `isf_jax.metrics.inception.load_inception`
looks. The file is read without torch through the allowlist unpickler.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from convert import safe_pickle
from convert.tables import ConversionError, Rule, apply_rules, flatten, unflatten
from isf_jax.metrics.inception import VARIANTS

CLASSES = {1008: "pytorch_fid", 1000: "torchvision"}


def _hwio(w):  # [O, I, kh, kw] -> [kh, kw, I, O]
  return np.transpose(w, (2, 3, 1, 0))


def _torch_name(path: str) -> str:
  return path.replace("/", ".")


RULES = [
  Rule(r"params/(.+)/conv/kernel", lambda m: f"{_torch_name(m[1])}.conv.weight", _hwio),
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
      "cannot tell the Inception variant (no fc.weight with 1008 or 1000 classes); pass --variant"
    )
  return CLASSES[np.shape(fc)[0]]


def convert_state_dict(state_dict: Mapping, variant: str) -> dict:
  """{"params": ..., "batch_stats": ...} for `InceptionV3(variant)`; ConversionError if the
  names or shapes do not fit."""
  flat = apply_rules(RULES, dict(state_dict), target_shapes(variant), IGNORED)
  return unflatten(flat)


def _unwrap(obj) -> dict:
  if isinstance(obj, Mapping) and "state_dict" in obj:
    obj = obj["state_dict"]
  if not isinstance(obj, Mapping):
    raise ConversionError(f"expected a state dict, got {type(obj).__name__}")
  return dict(obj)


def convert_file(src, out=None, variant: str | None = None, overwrite: bool = False) -> Path:
  from isf_jax.metrics import weights

  state_dict = _unwrap(safe_pickle.load_checkpoint_file(src))
  variant = variant or detect_variant(state_dict)
  if variant not in VARIANTS:
    raise ValueError(f"unknown Inception variant {variant!r}; choose one of {VARIANTS}")
  out = Path(out) if out is not None else weights.default_path("inception", variant)
  variables = convert_state_dict(state_dict, variant)
  meta = {"network": "inception", "variant": variant, "source": Path(src).name}
  weights.save_network(out, variables, meta, overwrite=overwrite)
  return out


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(
    prog="python -m convert.inception",
    description="Convert InceptionV3 weights for FID.",
    formatter_class=argparse.RawDescriptionHelpFormatter,
    epilog=__doc__,
  )
  parser.add_argument("src", help="pytorch-fid or torchvision InceptionV3 .pth")
  parser.add_argument("out", nargs="?", help="output directory (default: the cache)")
  parser.add_argument("--variant", choices=VARIANTS, help="default: detected from the file")
  parser.add_argument("--overwrite", action="store_true")
  args = parser.parse_args(argv)
  try:
    out = convert_file(args.src, args.out, args.variant, args.overwrite)
  except (OSError, ValueError, KeyError, safe_pickle.UnsafePickleError) as e:
    print(f"error: {e}", file=sys.stderr)
    return 1
  print(f"InceptionV3 -> {out}", file=sys.stderr)
  return 0


if __name__ == "__main__":
  sys.exit(main())
