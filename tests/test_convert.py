"""The checkpoint converter CLI, its readers' safety, and bad input."""

import io
import os
import pickle
import subprocess
import sys
import types
import zipfile

import numpy as np
import pytest

from convert import stylegan2 as convert_stylegan2
from isf_jax.formats import safe_pickle, stylegan2
from isf_jax.formats.tables import ConversionError, Rule, apply_rules, flatten
from isf_jax.generators import read_generator as load_generator

STYLEGAN2 = os.path.join(os.path.dirname(__file__), "fixtures", "stylegan2")


class _RunsShellCommand:
  def __init__(self, marker):
    self.marker = marker

  def __reduce__(self):
    return (os.system, (f"touch {self.marker}",))


def test_pickle_that_runs_a_shell_command_is_refused(tmp_path):
  marker = tmp_path / "pwned"
  path = tmp_path / "evil.pkl"
  path.write_bytes(pickle.dumps({"G_ema": _RunsShellCommand(marker)}))
  with pytest.raises(safe_pickle.UnsafePickleError, match=r"refusing to load '(posix|os)\.system'"):
    safe_pickle.load_checkpoint_file(path)
  assert not marker.exists()


def test_torch_archive_with_malicious_data_pkl_is_refused(tmp_path):
  marker = tmp_path / "pwned"
  path = tmp_path / "evil.pt"
  with zipfile.ZipFile(path, "w") as archive:
    archive.writestr("archive/data.pkl", pickle.dumps(_RunsShellCommand(marker)))
  with pytest.raises(safe_pickle.UnsafePickleError):
    safe_pickle.load_checkpoint_file(path)
  assert not marker.exists()


def test_source_embedded_in_nvlabs_pickle_is_never_run(tmp_path, monkeypatch):
  """NVlabs pickles carry module source; it must stay an inert string."""
  marker = tmp_path / "pwned"
  fake = types.ModuleType("torch_utils.persistence")

  def _reconstruct_persistent_obj(meta):
    raise AssertionError("only used for pickling")

  _reconstruct_persistent_obj.__module__ = "torch_utils.persistence"
  _reconstruct_persistent_obj.__qualname__ = "_reconstruct_persistent_obj"
  fake._reconstruct_persistent_obj = _reconstruct_persistent_obj
  monkeypatch.setitem(sys.modules, "torch_utils", types.ModuleType("torch_utils"))
  monkeypatch.setitem(sys.modules, "torch_utils.persistence", fake)

  class Persistent:
    def __reduce__(self):
      meta = dict(
        type="class",
        version=6,
        module_src=f"import os\nos.system('touch {marker}')\n",
        class_name="Generator",
        state=dict(_parameters={}, _buffers={}, _modules={}, _init_kwargs={}),
      )
      return (_reconstruct_persistent_obj, (meta,))

  path = tmp_path / "snapshot.pkl"
  path.write_bytes(pickle.dumps({"G_ema": Persistent()}))
  monkeypatch.delitem(sys.modules, "torch_utils.persistence")
  loaded = safe_pickle.load_checkpoint_file(path)
  assert isinstance(loaded["G_ema"], safe_pickle.PersistentObject)
  assert "os.system" in loaded["G_ema"].meta["module_src"]
  with pytest.raises(KeyError):
    stylegan2.read_ada(loaded)  # no img_resolution: not a usable generator, and nothing ran
  assert not marker.exists()


def test_rosinality_training_args_load_as_plain_namespace():
  ckpt = safe_pickle.load_checkpoint_file(os.path.join(STYLEGAN2, "ros_train_64.pt"))
  assert isinstance(ckpt["args"], types.SimpleNamespace) and ckpt["args"].size == 64
  assert "latent_avg" not in ckpt and ckpt["g_optim"]["state"]


def test_apply_rules_lists_every_problem():
  rules = [Rule(r"a/(\w)", lambda m: f"src.{m[1]}", np.transpose)]
  sources = {"src.x": np.zeros((2, 3)), "src.y": np.zeros(4), "extra": np.zeros(1)}
  with pytest.raises(ConversionError) as err:
    apply_rules(rules, sources, {"a/x": (3, 2), "a/y": (5,), "a/z": (1,), "b": ()})
  message = str(err.value)
  assert "shape of src.y -> a/y: (4,), expected (5,)" in message
  assert "missing source src.z (for a/z)" in message
  assert "target b: matched by 0 rules" in message
  assert "unmatched source extra (1,)" in message


@pytest.mark.parametrize("name", ["ros_64.pt", "tf_64.pkl"])
def test_convert_cli_round_trip(tmp_path, name):
  out = tmp_path / "g"
  assert convert_stylegan2.main([os.path.join(STYLEGAN2, name), str(out)]) == 0
  config, variables = load_generator(out)
  ref_config, ref_variables, _ = stylegan2.read_generator(os.path.join(STYLEGAN2, name))
  assert config == ref_config
  ref = flatten(ref_variables)
  for path, value in flatten(variables).items():
    np.testing.assert_array_equal(value, ref[path])
  assert sorted(os.listdir(tmp_path)) == ["g"]


def _write_truncated(tmp_path):
  data = open(os.path.join(STYLEGAN2, "ada_64.pkl"), "rb").read()
  path = tmp_path / "truncated.pkl"
  path.write_bytes(data[: len(data) // 2])
  return path


def _write_not_a_generator(tmp_path):
  path = tmp_path / "other.pkl"
  path.write_bytes(pickle.dumps({"model": {"weight": np.zeros(3)}, "step": 5}))
  return path


def _write_random_bytes(tmp_path):
  path = tmp_path / "noise.bin"
  path.write_bytes(np.random.RandomState(0).bytes(1000))
  return path


def _write_truncated_zip(tmp_path):
  data = open(os.path.join(STYLEGAN2, "ros_64.pt"), "rb").read()
  path = tmp_path / "truncated.pt"
  path.write_bytes(data[: len(data) - 5000])
  return path


def _write_truncated_legacy(tmp_path):
  data = open(os.path.join(STYLEGAN2, "ros_64_legacy.pt"), "rb").read()
  path = tmp_path / "truncated_legacy.pt"
  path.write_bytes(data[: len(data) - 5000])
  return path


@pytest.mark.parametrize(
  "make_input,message",
  [
    (_write_truncated, "corrupt or truncated"),
    (_write_truncated_zip, "corrupt or truncated"),
    (_write_truncated_legacy, "truncated checkpoint"),
    (_write_not_a_generator, "not a StyleGAN2 generator checkpoint"),
    (_write_random_bytes, "neither a pickle nor a torch.save archive"),
    (lambda tmp_path: tmp_path / "missing.pt", "No such file"),
  ],
)
def test_convert_cli_bad_input(tmp_path, capsys, make_input, message):
  src = make_input(tmp_path)
  before = set(os.listdir(tmp_path))
  assert convert_stylegan2.main([str(src), str(tmp_path / "out")]) == 1
  err = capsys.readouterr().err
  assert message in err and err.startswith("error: ") and err.count("\n") == 1
  assert set(os.listdir(tmp_path)) == before


def test_convert_cli_refuses_existing_output_without_overwrite(tmp_path, capsys):
  src = os.path.join(STYLEGAN2, "ros_64.pt")
  out = tmp_path / "g"
  out.mkdir()
  (out / "keep.txt").write_text("x")
  assert convert_stylegan2.main([src, str(out)]) == 1
  assert "exists (pass --overwrite" in capsys.readouterr().err
  assert os.listdir(out) == ["keep.txt"]
  assert convert_stylegan2.main([src, str(out), "--overwrite"]) == 0
  assert sorted(os.listdir(out)) == ["config.json", "variables"]


def test_convert_command_exit_status(tmp_path):
  src = _write_not_a_generator(tmp_path)
  result = subprocess.run(
    [sys.executable, "-m", "convert.stylegan2", str(src), str(tmp_path / "out")],
    capture_output=True,
    text=True,
    cwd=os.path.dirname(os.path.dirname(__file__)),
  )
  assert result.returncode == 1
  assert result.stderr.strip().splitlines()[-1].startswith("error: not a StyleGAN2 generator")


def test_legacy_stream_reader_on_bytes():
  """The storages inside NVlabs pickles are legacy torch.save streams."""
  data = open(os.path.join(STYLEGAN2, "ros_64_legacy.pt"), "rb").read()
  ckpt = safe_pickle.read_legacy_torch(io.BytesIO(data))
  assert ckpt["g_ema"]["input.input"].shape == (1, 32, 4, 4)
  assert ckpt["g_ema"]["input.input"].dtype == np.float32
