"""Parity with InterFaceGAN's PyTorch StyleGAN (v1) generator, in both source formats.

Golden outputs come from running InterFaceGAN's `StyleGANGeneratorModel` on small
random-weight models (tests/fixtures/stylegan1/README.md says exactly how): 32 px (nearest +
conv upsampling), 128 px (fused transposed conv at 128) and 16 px with fused upsampling
everywhere. Each model is read from InterFaceGAN's `.pth` and from an NVlabs TF pickle.
Tolerances (float32, CPU): W 1e-5, images max-abs 1e-4.
"""

import functools

import jax
import numpy as np
import pytest

from isf_jax.formats.stylegan1 import read_generator
from isf_jax.formats.tables import flatten
from isf_jax.stylegan1 import Generator

pytestmark = pytest.mark.parity

W_ATOL = 1e-5
IMG_ATOL = 1e-4
MODELS = ["sg1_32", "sg1_128", "sg1_16_fused"]
FORMATS = [".pth", "_tf.pkl"]


@pytest.fixture(scope="module")
def expected(request):
  path = request.config.rootpath / "tests/fixtures/stylegan1/expected.npz"
  return dict(np.load(path))


@functools.cache
def load(filename):
  from tests.conftest import FIXTURES

  config, variables, _ = read_generator(FIXTURES / "stylegan1" / filename)
  return config, variables


def nhwc(nchw):
  return np.transpose(nchw, (0, 2, 3, 1))


@functools.cache
def mapper(filename, psi, cutoff):
  config, variables = load(filename)
  model = Generator(config)
  return jax.jit(lambda z: model.apply(variables, z, psi=psi, cutoff=cutoff, method="map"))


@functools.cache
def synthesizer(filename, noise_mode="const"):
  config, variables = load(filename)
  model = Generator(config)
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


@pytest.mark.parametrize("model", MODELS)
def test_same_weights_in_every_format(model):
  ref_config, ref = load(f"{model}.pth")
  others = [f"{model}_tf.pkl"] + (["sg1_32_legacy.pth"] if model == "sg1_32" else [])
  for other in others:
    config, variables = load(other)
    assert config == ref_config
    flat, ref_flat = flatten(variables), flatten(ref)
    assert flat.keys() == ref_flat.keys()
    for path in ref_flat:
      np.testing.assert_array_equal(flat[path], ref_flat[path], err_msg=f"{other}: {path}")


def test_configs_read_from_the_files():
  config, _ = load("sg1_128_tf.pkl")
  assert config.channels == (32, 32, 32, 32, 16, 8)
  assert (config.z_dim, config.w_dim, config.mapping_layers) == (32, 32, 8)
  assert config.fused_upsample_min_res == 128 and config.num_ws == 12
  assert load("sg1_16_fused.pth")[0].fused_upsample_min_res == 8
  assert load("sg1_16_fused_tf.pkl")[0].fused_upsample_min_res == 8


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("model", MODELS)
def test_mapping_z_to_w(expected, model, fmt):
  name = model + fmt
  ws = mapper(name, 1.0, None)(expected["z"])
  assert_close(ws, np.repeat(expected[f"{model}_w"][:, None], ws.shape[1], 1), W_ATOL)
  assert_close(mapper(name, 0.7, 8)(expected["z"]), expected[f"{model}_wp_trunc"], W_ATOL)
  np.testing.assert_array_equal(
    load(name)[1]["buffers"]["mapping"]["w_avg"], expected[f"{model}_w_avg"]
  )


def test_truncation_cutoff(expected):
  assert_close(
    mapper("sg1_32.pth", 0.7, 4)(expected["z"]), expected["sg1_32_wp_trunc_cut4"], W_ATOL
  )


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("model", MODELS)
def test_synthesis_const_noise(expected, model, fmt):
  ref = expected[f"{model}_img_const"]
  img = synthesizer(model + fmt)(expected[f"{model}_wp_trunc"][: len(ref)])
  assert_close(img, nhwc(ref), IMG_ATOL)


@pytest.mark.parametrize("model", MODELS)
def test_synthesis_from_w_and_mixed_w_plus(expected, model):
  synthesize = synthesizer(model + ".pth")
  assert_close(synthesize(expected[f"{model}_w"][:1]), nhwc(expected[f"{model}_img_w"]), IMG_ATOL)
  ws = expected[f"{model}_wp_mix"][:1]
  assert_close(synthesize(ws), nhwc(expected[f"{model}_img_mix"]), IMG_ATOL)


def test_noise_off_and_explicit(expected):
  ws = expected["sg1_32_wp_trunc"][:1]
  assert_close(synthesizer("sg1_32.pth", "none")(ws), nhwc(expected["sg1_32_img_none"]), IMG_ATOL)
  config, _ = load("sg1_32.pth")
  noise = [expected[f"sg1_32_noise_{i}"] for i in range(config.num_conv_layers)]
  img = synthesizer("sg1_32.pth")(ws, noise)
  assert_close(img, nhwc(expected["sg1_32_img_explicit_noise"]), IMG_ATOL)
