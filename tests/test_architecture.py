"""The house rules: commands parse, the library computes; no import circles."""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from tests.helpers import imports

COMMAND_PACKAGES = ("convert", "isf_jax_convert")


def test_no_module_imports_the_command_layer():
  """Static: no import statement anywhere in isf_jax (also inside functions) names convert/
  or a command module (`python -m isf_jax.train` and the like)."""
  commands = imports.commands()
  assert {"isf_jax.train", "isf_jax.evaluate", "isf_jax.edit", "isf_jax.train_encoder"} <= commands
  offenders = {
    module: sorted(targets & commands | {t for t in targets if t.split(".")[0] in COMMAND_PACKAGES})
    for module, targets in imports.graph().items()
  }
  assert {m: t for m, t in offenders.items() if t} == {}


def test_importing_every_library_module_loads_no_command():
  """Dynamic: import every non-command module of isf_jax in a fresh interpreter; neither
  convert/ nor any command module ends up in sys.modules."""
  library = sorted(set(imports.modules()) - imports.commands())
  script = textwrap.dedent(
    f"""
    import importlib, sys
    for name in {library!r}:
      importlib.import_module(name)
    commands = {sorted(imports.commands())!r}
    loaded = [m for m in sys.modules if m in commands or m.split(".")[0] in {COMMAND_PACKAGES!r}]
    print("LOADED", len({library!r}), "COMMANDS", loaded)
    """
  )
  result = subprocess.run(
    [sys.executable, "-c", script], capture_output=True, text=True, cwd=imports.ROOT
  )
  assert result.returncode == 0, result.stderr[-3000:]
  assert f"LOADED {len(library)} COMMANDS []" in result.stdout, result.stdout


def test_no_import_circles():
  assert imports.cycles(imports.graph()) == []


def test_cycle_finder_finds_a_circle():
  assert imports.cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.slow
def test_installed_package_has_no_top_level_convert(tmp_path):
  """Build the wheel, install it alone into a folder, and run from outside the checkout:
  isf_jax (every subpackage) and the converters as isf_jax_convert are there, `convert` is not."""
  source, wheel_dir, target = tmp_path / "source", tmp_path / "wheel", tmp_path / "site"
  for name in ("isf_jax", "convert", "pyproject.toml", "setup.py", "README.md"):  # a build
    copy = shutil.copytree if (imports.ROOT / name).is_dir() else shutil.copy  # writes build/
    copy(imports.ROOT / name, source / name)
  subprocess.run(
    [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", wheel_dir, source],
    check=True,
  )
  (wheel,) = wheel_dir.glob("isf_jax-*.whl")
  subprocess.run(
    [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", target, wheel],
    check=True,
  )
  script = textwrap.dedent(
    f"""
    import importlib, importlib.util, sys
    for name in {sorted(set(imports.modules()) - imports.commands())!r}:
      assert importlib.import_module(name).__file__.startswith({str(target)!r}), name
    assert importlib.util.find_spec("convert") is None
    import isf_jax_convert.__main__ as cli
    sys.exit(cli.main(["stylegan2", "--help"]))
    """
  )
  env = {**os.environ, "PYTHONPATH": str(target)}
  result = subprocess.run(
    [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env
  )
  assert result.returncode == 0, result.stderr[-3000:]
  assert "usage: isf-jax-convert stylegan2" in result.stdout
  entry_points = next(target.glob("isf_jax-*.dist-info")) / "entry_points.txt"
  assert "isf-jax-convert = isf_jax_convert.__main__:main" in entry_points.read_text()
