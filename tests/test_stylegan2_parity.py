"""Parity with NVlabs stylegan2-ada-pytorch and rosinality stylegan2-pytorch.

Golden outputs come from running the references on small random-weight models
(tests/fixtures/stylegan2/README.md says exactly how). Tolerances (float32, CPU): W 1e-5,
images max-abs 1e-4; the references differ from each other by ~6e-6 at 64 px.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from isf_jax.formats.stylegan2 import read_generator
from isf_jax.formats.tables import flatten
from isf_jax.stylegan2 import Generator, mix_styles

pytestmark = pytest.mark.parity

W_ATOL = 1e-5
IMG_ATOL = 1e-4


@pytest.fixture(scope="module")
def expected(request):
  path = request.config.rootpath / "tests/fixtures/stylegan2/expected.npz"
  return dict(np.load(path))


@functools.cache
def load(name):
  from tests.conftest import FIXTURES

  config, variables, _ = read_generator(FIXTURES / "stylegan2" / name)
  return config, variables


def nhwc(nchw):
  return np.transpose(nchw, (0, 2, 3, 1))


@functools.cache
def mapper(name, psi, cutoff):
  config, variables = load(name)
  model = Generator(config)
  return jax.jit(lambda z: model.apply(variables, z, psi=psi, cutoff=cutoff, method="map"))


@functools.cache
def synthesizer(name, noise_mode="const", fused=False):
  config, variables = load(name)
  model = Generator(config, fused_modconv=fused)
  return jax.jit(
    lambda ws, noise=None: model.apply(
      variables, ws, noise_mode=noise_mode, noise=noise, method="synthesize"
    )
  )


def assert_close(actual, desired, atol):
  actual = np.asarray(actual)
  assert actual.shape == desired.shape
  err = float(np.max(np.abs(actual - desired)))
  assert err <= atol, f"max abs error {err:.3g} > {atol}"


@pytest.mark.parametrize("name", ["ada_64.pkl", "ros_64.pt", "ros_64_legacy.pt", "tf_64.pkl"])
def test_same_weights_in_every_format(name):
  ref = flatten(load("ada_64.pkl")[1])
  other = flatten(load(name)[1])
  assert load(name)[0] == load("ada_64.pkl")[0]
  assert other.keys() == ref.keys()
  for path in ref:
    np.testing.assert_allclose(other[path], ref[path], atol=1e-7, err_msg=path)


@pytest.mark.parametrize("name", ["ada_64.pkl", "tf_64.pkl"])
def test_mapping_z_to_w(expected, name):
  assert_close(mapper(name, 1.0, None)(expected["z"]), expected["ada64_ws"], W_ATOL)
  assert_close(mapper(name, 0.7, 4)(expected["z"]), expected["ada64_ws_psi07_cut4"], W_ATOL)
  np.testing.assert_array_equal(
    load(name)[1]["buffers"]["mapping"]["w_avg"], expected["ada64_w_avg"]
  )


@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("name", ["ada_64.pkl", "tf_64.pkl"])
def test_synthesis_const_noise(expected, name, fused):
  ws = expected["ada64_ws_psi07_cut4"][:2]
  img = synthesizer(name, "const", fused)(ws)
  assert_close(img, nhwc(expected["ada64_img_const"]), IMG_ATOL)
  assert_close(img[:1], nhwc(expected["ada64_img_const_nonfused"]), IMG_ATOL)


@pytest.mark.parametrize("fused", [False, True])
def test_synthesis_noise_off(expected, fused):
  img = synthesizer("ada_64.pkl", "none", fused)(expected["ada64_ws"][:1])
  assert_close(img, nhwc(expected["ada64_img_none"]), IMG_ATOL)


@pytest.mark.parametrize("name", ["ros_64.pt", "ros_64_legacy.pt"])
def test_rosinality_truncation(expected, name):
  ws = mapper(name, 0.7, None)(expected["z"])
  assert_close(ws, expected["ros64_wplus_trunc"], W_ATOL)
  assert_close(synthesizer(name)(ws[:1]), nhwc(expected["ros64_img_trunc"]), IMG_ATOL)


def test_rosinality_explicit_noise(expected):
  config, _ = load("ros_64.pt")
  noise = [expected[f"ros64_noise_{i}"] for i in range(config.num_conv_layers)]
  img = synthesizer("ros_64.pt")(expected["ada64_ws"][:1], noise)
  assert_close(img, nhwc(expected["ros64_img_explicit_noise"]), IMG_ATOL)


def test_rosinality_style_mixing(expected):
  to_w = mapper("ros_64.pt", 1.0, None)
  ws = mix_styles(to_w(expected["z"]), to_w(expected["z2"]), inject_index=3)
  assert_close(ws, expected["ros64_wplus_mix"], W_ATOL)
  assert_close(synthesizer("ros_64.pt")(ws[:1]), nhwc(expected["ros64_img_mix"]), IMG_ATOL)


def test_rosinality_training_checkpoint(expected):
  """No latent_avg stored: w_avg is estimated from 10k z, so it differs by sampling error."""
  config, variables = load("ros_train_64.pt")
  ws = mapper("ros_train_64.pt", 1.0, None)(expected["z"])
  assert_close(ws, expected["ada64_ws"], W_ATOL)
  img = synthesizer("ros_train_64.pt", "none")(expected["ada64_ws"][:1])
  assert_close(img, nhwc(expected["ada64_img_none"]), IMG_ATOL)
  w_avg = variables["buffers"]["mapping"]["w_avg"]
  w_std = np.std(np.asarray(ws[:, 0]), axis=0).mean()
  # Reference: mean over 4096 z; ours: 10000 other z. Standard error ~ std / 64 per dim.
  assert np.max(np.abs(w_avg - expected["ada64_w_avg"])) < 6 * w_std / np.sqrt(4096)


def test_conv_clamp(expected):
  config, _ = load("ada_64_clamp.pkl")
  assert config.conv_clamp == 2.0 and config.num_fp16_res == 2
  ws = mapper("ada_64_clamp.pkl", 1.0, None)(expected["z"])
  assert_close(ws, expected["clamp_ws"], W_ATOL)
  ws = expected["clamp_ws"][:1]
  assert_close(
    synthesizer("ada_64_clamp.pkl", "const")(ws), nhwc(expected["clamp_img_const"]), IMG_ATOL
  )
  assert_close(
    synthesizer("ada_64_clamp.pkl", "none")(ws), nhwc(expected["clamp_img_none"]), IMG_ATOL
  )


@pytest.mark.slow
def test_256px(expected):
  ws = mapper("ada_256.pkl", 0.5, None)(expected["z"])
  assert_close(ws, expected["ada256_ws"], W_ATOL)
  img = synthesizer("ada_256.pkl")(jnp.asarray(expected["ada256_ws"][:1]))
  assert_close(img, nhwc(expected["ada256_img_const"]), IMG_ATOL)
