"""The e4e encoder (isf_jax.encoders.e4e) and its checkpoint reader (isf_jax.formats.e4e)
against omertov/encoder4editing run on a narrow random-weight model (tests/fixtures/e4e)."""

import argparse
import io
import json
import os
import pickle
from pathlib import Path

import jax
import numpy as np
import pytest
from PIL import Image

from convert import e4e as convert_e4e
from isf_jax.encoders import e4e
from isf_jax.formats import safe_pickle
from isf_jax.formats.e4e import convert_encoder, infer_encoder_config, read_checkpoint, read_e4e
from isf_jax.formats.stylegan2 import read_generator
from isf_jax.formats.tables import ConversionError
from isf_jax.generators import read_generator as load_generator
from isf_jax.metrics.resize import resize_bilinear_align_corners

FIXTURES = Path(__file__).parent / "fixtures"
E4E_FILE = FIXTURES / "e4e" / "e4e_tiny.pt"
# The inputs of expected.npz (the fixture README gives the same recipe).
IMAGES = np.random.default_rng(2024).uniform(-1, 1, (2, 256, 256, 3)).astype(np.float32)


def relative_error(actual, expected) -> float:
  return float(np.abs(np.asarray(actual) - expected).max() / np.abs(expected).max())


@pytest.fixture(scope="module")
def raw_checkpoint():
  """The fixture file as the allowlist unpickler reads it (copied per use by `fresh`)."""
  return safe_pickle.load_checkpoint_file(E4E_FILE)


def fresh(checkpoint) -> dict:
  return {**checkpoint, "state_dict": dict(checkpoint["state_dict"]), "opts": checkpoint["opts"]}


@pytest.fixture(scope="module")
def converted():
  return read_e4e(E4E_FILE)


@pytest.mark.parity
def test_codes_match_reference(converted):
  expected = np.load(FIXTURES / "e4e" / "expected.npz")
  codes = e4e.encode_fn(converted.encoder_config, converted.encoder_variables)(IMAGES)
  assert codes.shape == (2, 10, 32)  # 64 px generator: 2 log2(64) - 2 styles
  assert relative_error(codes, expected["codes"]) < 1e-5
  # Without latent_avg: w0 in every style plus the deltas of styles 1..9.
  bare = e4e.E4EConfig(**{**vars(converted.encoder_config), "start_from_latent_avg": False})
  encoder_codes = e4e.encode_fn(bare, converted.encoder_variables)(IMAGES)
  assert relative_error(encoder_codes, expected["encoder_codes"]) < 1e-5
  deltas = np.asarray(encoder_codes - encoder_codes[:, :1])
  assert np.all(np.linalg.norm(deltas[:, 1:], axis=-1) > 0.1)


def test_file_gives_the_generator_it_was_trained_with(converted):
  """decoder.* is tests/fixtures/stylegan2/ros_64.pt's g_ema (whose parity is tested there)
  and latent_avg its latent_avg repeated per style."""
  ros_config, ros_variables, _ = read_generator(FIXTURES / "stylegan2" / "ros_64.pt")
  assert converted.generator_config == ros_config
  jax.tree.map(np.testing.assert_array_equal, converted.generator_variables, ros_variables)
  latent_avg = converted.encoder_variables["buffers"]["latent_avg"]
  w_avg = ros_variables["buffers"]["mapping"]["w_avg"]
  np.testing.assert_array_equal(latent_avg, np.tile(w_avg, (10, 1)))


def test_full_size_architecture_matches_reference():
  """The unmodified reference's 621 state-dict entries fit the default config exactly."""
  keys = json.loads((FIXTURES / "e4e" / "encoder_1024_keys.json").read_text())
  state = {f"encoder.{name}": np.broadcast_to(np.float32(0), shape) for name, shape in keys}
  opts = {"encoder_type": "Encoder4Editing", "stylegan_size": 1024, "start_from_latent_avg": True}
  config = infer_encoder_config(state, opts)
  assert config == e4e.E4EConfig()
  assert config.n_styles == 18
  variables = convert_encoder(config, state, np.zeros(512))
  assert sum(np.size(v) for v in jax.tree.leaves(variables["params"])) == 267_136_704


def test_reader_lists_unmatched_missing_and_misshaped_tensors(raw_checkpoint):
  checkpoint = fresh(raw_checkpoint)
  state = checkpoint["state_dict"]
  state["encoder.styles.4.extra.weight"] = np.zeros(3, np.float32)
  state["encoder.styles.3.linear.weight"] = np.zeros((32, 31), np.float32)
  del state["encoder.latlayer2.bias"]
  with pytest.raises(ConversionError) as error:
    read_checkpoint(checkpoint)
  message = str(error.value)
  assert "unmatched source encoder.styles.4.extra.weight" in message
  assert "shape of encoder.styles.3.linear.weight" in message
  assert "missing source encoder.latlayer2.bias" in message

  # Options that do not fit the tensors: a 128 px generator needs 12 style blocks, not 10.
  checkpoint = fresh(raw_checkpoint)
  checkpoint["opts"] = {**checkpoint["opts"], "stylegan_size": 128}
  checkpoint["latent_avg"] = raw_checkpoint["latent_avg"][0]
  with pytest.raises(ConversionError, match="missing source encoder.styles.10.linear.weight"):
    read_checkpoint(checkpoint)


def test_opts_as_dict_or_namespace(raw_checkpoint, converted):
  assert isinstance(raw_checkpoint["opts"], dict)
  # An argparse.Namespace as torch.save pickles it, read back through the allowlist.
  blob = pickle.dumps(argparse.Namespace(**raw_checkpoint["opts"]), protocol=2)
  namespace = safe_pickle.RestrictedUnpickler(io.BytesIO(blob)).load()
  assert not isinstance(namespace, dict)
  from_namespace = read_checkpoint({**fresh(raw_checkpoint), "opts": namespace})
  assert from_namespace.encoder_config == converted.encoder_config
  jax.tree.map(
    np.testing.assert_array_equal, from_namespace.encoder_variables, converted.encoder_variables
  )

  opts = dict(raw_checkpoint["opts"])
  del opts["stylegan_size"]
  with pytest.raises(ConversionError, match="no 'stylegan_size'"):
    read_checkpoint({**fresh(raw_checkpoint), "opts": opts})
  opts = {**raw_checkpoint["opts"], "encoder_type": "GradualStyleEncoder"}
  with pytest.raises(ConversionError, match="only 'Encoder4Editing'"):
    read_checkpoint({**fresh(raw_checkpoint), "opts": opts})
  with pytest.raises(ConversionError, match="expected a dict or an argparse Namespace"):
    read_checkpoint({**fresh(raw_checkpoint), "opts": ["stylegan_size", 64]})
  with pytest.raises(ConversionError, match="not an e4e checkpoint"):
    read_checkpoint({"g_ema": {}})
  with pytest.raises(ConversionError, match="state_dict is a list"):
    read_checkpoint({"state_dict": [], "opts": raw_checkpoint["opts"]})


class _RunsCode:
  def __reduce__(self):
    return (os.system, ("echo should-not-run",))


def test_opts_that_would_run_code_are_refused(tmp_path):
  path = tmp_path / "evil.pt"
  path.write_bytes(pickle.dumps({"state_dict": {}, "opts": _RunsCode(), "latent_avg": None}))
  with pytest.raises(safe_pickle.UnsafePickleError, match="system"):
    read_e4e(path)


def test_latent_avg_forms(raw_checkpoint, converted):
  single = read_checkpoint({**fresh(raw_checkpoint), "latent_avg": raw_checkpoint["latent_avg"][0]})
  jax.tree.map(np.testing.assert_array_equal, single.encoder_variables, converted.encoder_variables)
  with pytest.raises(ConversionError, match=r"latent_avg has shape \(3, 32\)"):
    read_checkpoint({**fresh(raw_checkpoint), "latent_avg": np.zeros((3, 32), np.float32)})
  checkpoint = fresh(raw_checkpoint)
  del checkpoint["latent_avg"]
  with pytest.raises(ConversionError, match="no latent_avg"):
    read_checkpoint(checkpoint)


def test_convert_command_writes_encoder_and_generator(tmp_path, converted, capsys):
  out = tmp_path / "e4e"
  assert convert_e4e.main([str(E4E_FILE), str(out)]) == 0
  config, variables = e4e.load_encoder(out / "encoder")
  assert config == converted.encoder_config
  jax.tree.map(np.testing.assert_array_equal, variables, converted.encoder_variables)
  generator_config, _ = load_generator(out / "generator")
  assert generator_config == converted.generator_config

  assert convert_e4e.main([str(E4E_FILE), str(out)]) == 1  # exists, no --overwrite
  bad = tmp_path / "bad.pt"
  bad.write_bytes(b"not a checkpoint")
  assert convert_e4e.main([str(bad), str(tmp_path / "never")]) == 1
  assert "error:" in capsys.readouterr().err
  assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.pt", "e4e"]
  with pytest.raises(FileNotFoundError, match="isf-jax-convert e4e"):
    e4e.load_encoder(tmp_path / "never")


def test_preprocess_is_pil_bilinear_resize_to_256():
  """e4e's test transform: Resize((256, 256)) on the PIL image, ToTensor, Normalize(0.5, 0.5);
  the port resizes floats, so it differs from PIL by PIL's rounding to 8 bits after each of its
  two passes (rows, then columns): at most one 8-bit level, 2 / 255 in [-1, 1]."""
  rng = np.random.default_rng(7)
  photo = rng.integers(0, 256, (300, 280, 3), dtype=np.uint8)
  reference = np.asarray(Image.fromarray(photo).resize((256, 256), Image.BILINEAR))
  reference = reference.astype(np.float32) / 127.5 - 1
  ported = e4e.preprocess(photo[None].astype(np.float32) / 127.5 - 1)[0]
  assert ported.shape == (256, 256, 3)
  error = np.abs(ported - reference)
  assert error.max() <= 2 / 255 + 1e-5
  assert error.mean() < 1 / 255
  np.testing.assert_array_equal(e4e.preprocess(IMAGES), IMAGES)  # already 256: unchanged


def test_pyramid_upsampling_is_bilinear_with_aligned_corners():
  x = np.array([0.0, 3.0], np.float32).reshape(1, 2, 1, 1)
  up = resize_bilinear_align_corners(np.broadcast_to(x, (1, 2, 2, 1)), (4, 3))
  np.testing.assert_allclose(np.asarray(up)[0, :, 0, 0], [0.0, 1.0, 2.0, 3.0], atol=1e-6)
