"""Unit tests of the synthesis ops against direct numpy definitions."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from isf_jax.stylegan2 import GeneratorConfig, channels_from_base, init_generator, ops
from isf_jax.stylegan2.networks import Generator, broadcast_ws, mix_styles, truncate


def upfirdn2d_numpy(x, f, up, pad0, pad1):
  """upfirdn2d by its definition: zero-insert after each sample, pad, true 2-D convolution."""
  n, h, w, c = x.shape
  z = np.zeros((n, h * up, w * up, c), x.dtype)
  z[:, ::up, ::up] = x
  z = np.pad(z, ((0, 0), (pad0, pad1), (pad0, pad1), (0, 0)))
  kh, kw = f.shape
  fl = f[::-1, ::-1]
  out = np.zeros((n, z.shape[1] - kh + 1, z.shape[2] - kw + 1, c), np.float64)
  for i in range(kh):
    for j in range(kw):
      out += fl[i, j] * z[:, i : i + out.shape[1], j : j + out.shape[2]]
  return out


def transposed_conv_numpy(x, w_hwio, stride=2):
  """torch conv_transpose2d(x, w_oihw.transpose(0,1)): scatter each input pixel through w."""
  n, h, w, _ = x.shape
  k = w_hwio.shape[0]
  out = np.zeros((n, (h - 1) * stride + k, (w - 1) * stride + k, w_hwio.shape[3]), np.float64)
  for i in range(h):
    for j in range(w):
      out[:, i * stride : i * stride + k, j * stride : j * stride + k] += np.einsum(
        "ni,klio->nklo", x[:, i, j], w_hwio
      )
  return out


@pytest.fixture
def rng():
  return np.random.RandomState(0)


def test_upsample_2x_matches_upfirdn_definition(rng):
  x = rng.randn(2, 5, 5, 3).astype(np.float32)
  want = upfirdn2d_numpy(x, ops.RESAMPLE_FILTER * 4, up=2, pad0=2, pad1=1)
  got = np.asarray(ops.upsample_2x(jnp.asarray(x)))
  assert got.shape == (2, 10, 10, 3)
  np.testing.assert_allclose(got, want, atol=1e-5)


def test_up_conv_is_transposed_conv_then_blur(rng):
  x = rng.randn(2, 4, 4, 3).astype(np.float32)
  w = rng.randn(3, 3, 3, 5).astype(np.float32)
  want = upfirdn2d_numpy(transposed_conv_numpy(x, w), ops.RESAMPLE_FILTER * 4, up=1, pad0=1, pad1=1)
  got = np.asarray(ops.conv3x3_up(jnp.asarray(x), jnp.asarray(w)))
  assert got.shape == (2, 8, 8, 5)
  np.testing.assert_allclose(got, want, atol=1e-4)


@pytest.mark.parametrize("up", [False, True])
@pytest.mark.parametrize("demodulate", [False, True])
def test_fused_and_shared_modconv_agree(rng, up, demodulate):
  x = jnp.asarray(rng.randn(3, 8, 8, 6), jnp.float32)
  k = 3 if demodulate else 1
  w = jnp.asarray(rng.randn(k, k, 6, 4), jnp.float32)
  s = jnp.asarray(rng.uniform(0.5, 1.5, (3, 6)), jnp.float32)
  noise = jnp.asarray(rng.randn(3, 16 if up else 8, 16 if up else 8, 1), jnp.float32)
  kw = dict(demodulate=demodulate, up=up and k == 3, noise=noise if k == 3 else None)
  a = ops.modulated_conv2d(x, w, s, fused=True, **kw)
  b = ops.modulated_conv2d(x, w, s, fused=False, **kw)
  np.testing.assert_allclose(a, b, atol=1e-5)


def test_demodulated_kernel_has_unit_norm(rng):
  """With demodulation, a delta input returns each output channel's unit-norm kernel."""
  w = jnp.asarray(rng.randn(3, 3, 1, 2), jnp.float32)
  s = jnp.asarray([[2.5]], jnp.float32)
  x = jnp.zeros((1, 5, 5, 1)).at[0, 2, 2, 0].set(1.0)
  y = ops.modulated_conv2d(x, w, s, demodulate=True)
  np.testing.assert_allclose(jnp.sum(jnp.square(y), axis=(0, 1, 2)), [1.0, 1.0], rtol=1e-5)


def test_truncation_cutoff_and_mixing(rng):
  ws = jnp.asarray(rng.randn(2, 6, 4), jnp.float32)
  w_avg = jnp.asarray(rng.randn(4), jnp.float32)
  t = truncate(ws, w_avg, psi=0.5, cutoff=2)
  np.testing.assert_allclose(t[:, :2], (ws[:, :2] + w_avg) / 2, atol=1e-6)
  np.testing.assert_array_equal(t[:, 2:], ws[:, 2:])
  mixed = mix_styles(ws, -ws, 3)
  np.testing.assert_array_equal(mixed[:, :3], ws[:, :3])
  np.testing.assert_array_equal(mixed[:, 3:], -ws[:, 3:])


@pytest.mark.parametrize("resolution,num_ws", [(8, 4), (32, 8), (128, 12)])
def test_generator_shapes_at_any_resolution(resolution, num_ws):
  cfg = GeneratorConfig(
    resolution=resolution,
    channels=channels_from_base(resolution, 256, 16),
    z_dim=8,
    w_dim=8,
    mapping_layers=1,
  )
  assert cfg.num_ws == num_ws
  model, variables = init_generator(cfg)
  img = jax.jit(lambda v, z: model.apply(v, z, psi=0.7))(variables, jnp.ones((2, 8)))
  assert img.shape == (2, resolution, resolution, 3) and img.dtype == jnp.float32
  noise_maps = jax.tree.leaves(variables["buffers"]["synthesis"])
  assert sorted(n.shape[0] for n in noise_maps) == sorted(
    2 ** ((i + 5) // 2) for i in range(cfg.num_conv_layers)
  )


def test_noise_modes():
  cfg = GeneratorConfig(resolution=16, channels=(8, 8, 8), z_dim=8, w_dim=8, mapping_layers=1)
  model, variables = init_generator(cfg)
  variables = jax.tree_util.tree_map_with_path(
    lambda p, v: v + 0.5 if "noise_strength" in str(p) else v, variables
  )
  ws = model.apply(variables, jnp.ones((2, 8)), method="map")

  @functools.partial(jax.jit, static_argnames="noise_mode")
  def synth(noise_mode="const", noise=None, rng=None):
    return model.apply(
      variables, ws, method="synthesize", noise_mode=noise_mode, noise=noise, rng=rng
    )

  key = jax.random.key(1)
  const, none = synth(noise_mode="const"), synth(noise_mode="none")
  assert not np.allclose(const, none)
  np.testing.assert_array_equal(
    synth(noise_mode="random", rng=key), synth(noise_mode="random", rng=key)
  )
  assert not np.allclose(
    synth(noise_mode="random", rng=key), synth(noise_mode="random", rng=jax.random.key(2))
  )
  zeros = [
    np.zeros((1, 2 ** ((i + 5) // 2), 2 ** ((i + 5) // 2), 1)) for i in range(cfg.num_conv_layers)
  ]
  np.testing.assert_allclose(synth(noise=zeros), none, atol=1e-6)
  with pytest.raises(ValueError, match="explicit PRNG key"):
    synth(noise_mode="random")
  with pytest.raises(ValueError, match="noise needs 5 arrays"):
    synth(noise=zeros[:2])


def test_bfloat16_compute_is_close_to_float32():
  cfg = GeneratorConfig(resolution=16, channels=(16, 16, 16), z_dim=8, w_dim=8, mapping_layers=1)
  _, variables = init_generator(cfg)
  z = jnp.asarray(np.random.RandomState(0).randn(2, 8), jnp.float32)
  f32 = jax.jit(Generator(cfg).apply)(variables, z)
  bf16 = jax.jit(Generator(cfg, dtype=jnp.bfloat16).apply)(variables, z)
  assert bf16.dtype == jnp.float32
  err = float(jnp.max(jnp.abs(f32 - bf16))) / float(jnp.std(f32))
  assert 0 < err < 0.1


def test_broadcast_ws_rejects_wrong_layer_count():
  with pytest.raises(ValueError, match=r"W\+ \[N, 10, w_dim\]"):
    broadcast_ws(jnp.zeros((1, 7, 4)), 10)


def test_bad_config():
  with pytest.raises(ValueError, match="power of two"):
    GeneratorConfig(resolution=48, channels=(1,) * 5)
  with pytest.raises(ValueError, match="one entry per resolution"):
    GeneratorConfig(resolution=16, channels=(8, 8))
