"""ISF and discriminator: parameter counts, AdaLN by hand, parity with the official code."""

import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from convert import isf as convert_isf
from isf_jax.formats import isf as isf_format
from isf_jax.models.discriminator import Discriminator
from isf_jax.models.isf import ISF

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "isf")
VARIANTS = {
  "isf_adaln_pre": False,
  "isf_adaln_post_module": False,
  "isf_adain_residual": True,
  "isf_none_w": False,
}


def count(tree):
  return sum(x.size for x in jax.tree.leaves(tree))


def isf_params(model, w_shape, noise_dim=64):
  k = model.num_domains
  return jax.eval_shape(
    model.init, jax.random.key(0), jnp.zeros(w_shape), jnp.zeros((1, noise_dim)), jnp.zeros((1, k))
  )


@pytest.mark.parametrize(
  "kwargs,w_shape,expected",
  [
    (dict(), (1, 18, 512), 16_327_168),  # FFHQ, the official count
    (dict(pre_norm=False), (1, 18, 512), 16_326_144),
    (dict(norm="adain"), (1, 18, 512), 16_326_144),
    (dict(norm="none"), (1, 18, 512), 15_800_832),
    (dict(latent="w"), (1, 512), 2_931_712),
    (dict(num_layers=14, num_domains=1), (1, 14, 512), 13_173_760),  # AFHQ cat/dog
  ],
)
def test_isf_parameter_counts(kwargs, w_shape, expected):
  assert count(isf_params(ISF(**kwargs), w_shape)) == expected


def test_discriminator_parameter_count_and_shapes():
  d = Discriminator(img_size=256, num_domains=4)
  params = jax.eval_shape(d.init, jax.random.key(0), jnp.zeros((1, 256, 256, 3)))
  assert count(params) == 25_048_645
  small = Discriminator(img_size=32, num_domains=3, dim_in=8, max_channels=16)
  variables = small.init(jax.random.key(0), jnp.zeros((2, 32, 32, 3)))
  cls, src = small.apply(variables, jnp.ones((2, 32, 32, 3)))
  assert cls.shape == (2, 3) and src.shape == (2,)
  with pytest.raises(ValueError, match=r"\[N, 32, 32, 3\]"):
    small.apply(variables, jnp.ones((2, 64, 64, 3)))


def test_adaln_matches_hand_computation():
  """(1 + gamma) * LayerNorm_affine(w) + beta with gamma, beta = Linear(s)."""
  from isf_jax.models.isf import AdaptiveNorm

  rs = np.random.RandomState(0)
  w, s = rs.randn(2, 3, 8).astype(np.float32), rs.randn(2, 3, 5).astype(np.float32)
  layer = AdaptiveNorm("adaln")
  params = jax.tree.map(
    lambda p: rs.randn(*p.shape).astype(np.float32), layer.init(jax.random.key(0), w, s)
  )
  p = params["params"]
  gamma_beta = s @ p["fc"]["kernel"] + p["fc"]["bias"]
  gamma, beta = gamma_beta[..., :8], gamma_beta[..., 8:]
  mean, var = w.mean(-1, keepdims=True), w.var(-1, keepdims=True)
  ln = (w - mean) / np.sqrt(var + 1e-5) * p["ln"]["scale"] + p["ln"]["bias"]
  np.testing.assert_allclose(
    layer.apply(params, w, s), (1 + gamma) * ln + beta, rtol=1e-5, atol=1e-5
  )


def test_intermediates_are_the_stages_of_the_forward_pass():
  """f1_styles = f1(noise, y); adanorm/normalized = LayerNorm(w); f2(f2_input) = the output."""
  from isf_jax.models.isf import ISF, LatentMLP, StyleMLP

  rs = np.random.RandomState(1)
  isf = ISF(num_layers=3, num_domains=2, hidden_dim=16)
  w, noise = rs.randn(2, 3, 8).astype(np.float32), rs.randn(2, 4).astype(np.float32)
  y = np.array([[0, 1], [1, 1]], np.float32)
  variables = isf.init(jax.random.key(0), w, noise, y)
  out, state = isf.apply(variables, w, noise, y, mutable=["intermediates"])
  got = state["intermediates"]
  p = variables["params"]
  styles = StyleMLP(3, 16, 8).apply({"params": p["f1"]}, noise, y)
  np.testing.assert_allclose(got["f1_styles"][0], styles, rtol=1e-6, atol=1e-6)
  mean, var = w.mean(-1, keepdims=True), w.var(-1, keepdims=True)
  ln = p["adanorm"]["ln"]
  normalized = (w - mean) / np.sqrt(var + 1e-5) * ln["scale"] + ln["bias"]
  np.testing.assert_allclose(got["adanorm"]["normalized"][0], normalized, rtol=1e-5, atol=1e-5)
  f2 = LatentMLP().apply({"params": p["f2"]}, got["f2_input"][0])
  np.testing.assert_allclose(f2, out, rtol=1e-6, atol=1e-6)
  np.testing.assert_array_equal(out, isf.apply(variables, w, noise, y))


def test_isf_rejects_wrong_shapes():
  model = ISF(num_layers=5, num_domains=3, hidden_dim=16)
  w, z, y = jnp.zeros((2, 5, 8)), jnp.zeros((2, 4)), jnp.zeros((2, 3))
  params = model.init(jax.random.key(0), w, z, y)
  with pytest.raises(ValueError, match=r"expected latent \[N, 5, C\]"):
    model.apply(params, jnp.zeros((2, 6, 8)), z, y)
  with pytest.raises(ValueError, match="expected 3 attributes"):
    model.apply(params, w, z, jnp.zeros((2, 4)))


@pytest.fixture(scope="module")
def expected():
  return dict(np.load(os.path.join(FIXTURES, "expected.npz")))


@pytest.mark.parity
@pytest.mark.parametrize("variant,residual", VARIANTS.items())
def test_official_checkpoints(expected, variant, residual):
  configs, params = isf_format.read_isf_checkpoint(
    os.path.join(FIXTURES, f"{variant}.ckpt"), residual
  )
  cfg = configs["isf"]
  model = ISF(**{k: v for k, v in cfg.items() if k not in ("noise_dim", "w_dim")})
  w = expected["w_w"] if cfg["latent"] == "w" else expected["w_wp"]
  out = jax.jit(model.apply)({"params": params["isf"]}, w, expected["z"], expected["y"])
  np.testing.assert_allclose(out, expected[f"{variant}_out"], rtol=0, atol=1e-5)
  disc = Discriminator(**configs["discriminator"])
  cls, src = jax.jit(disc.apply)({"params": params["discriminator"]}, expected["x"])
  np.testing.assert_allclose(cls, expected[f"{variant}_cls"], rtol=0, atol=1e-5)
  np.testing.assert_allclose(src, expected[f"{variant}_src"], rtol=0, atol=1e-5)


@pytest.mark.parity
def test_official_discriminator_64px(expected):
  from isf_jax.formats.isf import D_RULES, d_config_from_state
  from isf_jax.formats.safe_pickle import load_checkpoint_file
  from isf_jax.formats.tables import apply_rules, flatten, unflatten

  state = {
    k: np.asarray(v)
    for k, v in load_checkpoint_file(os.path.join(FIXTURES, "d64.ckpt"))["discriminator"].items()
  }
  config = d_config_from_state(state)
  assert config == dict(img_size=64, num_domains=3, dim_in=8, max_channels=16)
  disc = Discriminator(**config)
  shapes = {
    p: s.shape
    for p, s in flatten(
      jax.eval_shape(disc.init, jax.random.key(0), expected["x64"])["params"]
    ).items()
  }
  params = unflatten(apply_rules(D_RULES, state, shapes))
  cls, src = disc.apply({"params": params}, expected["x64"])
  np.testing.assert_allclose(cls, expected["d64_cls"], rtol=0, atol=1e-5)
  np.testing.assert_allclose(src, expected["d64_src"], rtol=0, atol=1e-5)


def test_convert_cli(tmp_path, capsys):
  from isf_jax import checkpoints

  src = os.path.join(FIXTURES, "isf_adaln_post_module.ckpt")
  assert convert_isf.main([src, str(tmp_path / "isf")]) == 0
  config_json, variables = checkpoints.load_directory(tmp_path / "isf")
  assert set(variables) == {"isf", "discriminator"}
  assert '"pre_norm": false' in config_json
  assert convert_isf.main([src, str(tmp_path / "isf")]) == 1
  assert "exists" in capsys.readouterr().err
  not_isf = os.path.join(os.path.dirname(__file__), "fixtures", "stylegan2", "ros_64.pt")
  assert convert_isf.main([not_isf, str(tmp_path / "other")]) == 1
  assert "not an ISF-GAN checkpoint" in capsys.readouterr().err
  assert not (tmp_path / "other").exists()
