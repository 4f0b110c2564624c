"""StyleGAN v1: generator behaviour, readers' error reporting, checkpoints and the command."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from convert import stylegan1 as convert_stylegan1
from isf_jax.formats import safe_pickle
from isf_jax.formats import stylegan1 as formats
from isf_jax.formats import stylegan2 as stylegan2_format
from isf_jax.formats.tables import ConversionError, flatten
from isf_jax.generators import read_generator as load_generator
from isf_jax.stylegan1 import GeneratorConfig, ffhq_config, init_generator, ops
from isf_jax.stylegan1.networks import variable_shapes
from isf_jax.stylegan2 import GeneratorConfig as GeneratorConfigV2
from tests.conftest import FIXTURES

V1 = FIXTURES / "stylegan1"


def small_config(resolution=16, **kwargs):
  channels = [16] * (int(np.log2(resolution)) - 1)
  return GeneratorConfig(resolution, channels, z_dim=16, w_dim=16, mapping_layers=2, **kwargs)


@functools.cache
def perturbed_generator(resolution=16):
  """Random weights with noise strengths and biases moved off their zero init."""
  model, variables = init_generator(small_config(resolution))
  leaves, tree = jax.tree.flatten(variables)
  keys = jax.random.split(jax.random.key(1), len(leaves))
  leaves = [x + 0.3 * jax.random.normal(k, x.shape) for x, k in zip(leaves, keys, strict=True)]
  return model, jax.tree.unflatten(tree, leaves)


def test_ffhq_shapes():
  config = ffhq_config()
  assert config.num_ws == 18 and config.channels[-1] == 16 and config.channels[4] == 256
  flat = flatten(variable_shapes(config))
  assert flat["params/synthesis/b1024/conv0/weight"].shape == (3, 3, 32, 16)
  assert flat["buffers/synthesis/b1024/conv1/noise_const"].shape == (1024, 1024)
  assert flat["params/synthesis/b4/input/style/weight"].shape == (512, 1024)
  assert flat["params/synthesis/torgb/weight"].shape == (1, 1, 16, 3)
  assert sum(1 for p in flat if p.endswith("noise_const")) == 18


@pytest.mark.parametrize("resolution", [8, 16])
def test_w_and_w_plus_inputs(resolution):
  model, variables = perturbed_generator(resolution)
  w = jax.random.normal(jax.random.key(3), (2, 16))
  synthesize = jax.jit(lambda ws: model.apply(variables, ws, method="synthesize"))
  img = synthesize(w)
  assert img.shape == (2, resolution, resolution, 3)
  ws = jnp.repeat(w[:, None], model.config.num_ws, axis=1)
  np.testing.assert_allclose(img, synthesize(ws), atol=1e-6)
  with pytest.raises(ValueError, match="W\\+"):
    model.apply(variables, ws[:, 1:], method="synthesize")


def test_noise_modes():
  model, variables = perturbed_generator()
  ws = jnp.ones((1, 16))

  @functools.partial(jax.jit, static_argnames="noise_mode")
  def synthesize(noise_mode="const", noise=None, rng=None):
    return model.apply(variables, ws, noise_mode, noise, rng, method="synthesize")

  run = lambda **kw: np.asarray(synthesize(**kw))  # noqa: E731
  const, none = run(noise_mode="const"), run(noise_mode="none")
  assert np.abs(const - none).max() > 1e-2
  a, b = (
    run(noise_mode="random", rng=jax.random.key(0)),
    run(noise_mode="random", rng=jax.random.key(1)),
  )
  assert np.abs(a - b).max() > 1e-2
  np.testing.assert_array_equal(a, run(noise_mode="random", rng=jax.random.key(0)))
  zeros = [np.zeros((r, r), np.float32) for r in (4, 4, 8, 8, 16, 16)]
  np.testing.assert_allclose(run(noise=zeros), none, atol=1e-4)  # other XLA graph
  with pytest.raises(ValueError, match="PRNG"):
    run(noise_mode="random")
  with pytest.raises(ValueError, match="6 arrays"):
    run(noise=zeros[:-1])


def test_truncation_towards_w_avg():
  model, variables = perturbed_generator()
  z = jax.random.normal(jax.random.key(5), (3, 16))
  to_w = jax.jit(model.apply, static_argnames=("psi", "cutoff", "method"))
  ws = to_w(variables, z, method="map")
  w_avg = variables["buffers"]["mapping"]["w_avg"]
  cut = to_w(variables, z, psi=0.7, cutoff=2, method="map")
  np.testing.assert_allclose(cut[:, :2], w_avg + 0.7 * (ws[:, :2] - w_avg), atol=1e-6)
  np.testing.assert_array_equal(cut[:, 2:], ws[:, 2:])


def test_fused_upsampling_is_nearest_conv_with_flipped_kernel():
  """The reference's two upsampling forms compute the same map up to a kernel flip."""
  x = jax.random.normal(jax.random.key(0), (2, 5, 5, 3))
  w = jax.random.normal(jax.random.key(1), (3, 3, 3, 4))
  fused = ops.conv_transpose_2x(x, ops.fused_upsample_kernel(w))
  plain = ops.conv2d(ops.upsample_nearest_2x(x), w[::-1, ::-1], padding="SAME")
  assert fused.shape == (2, 10, 10, 4)
  np.testing.assert_allclose(fused, plain, atol=1e-5)


def test_config_json_and_kind():
  config = small_config(fused_upsample_min_res=8)
  assert GeneratorConfig.from_json(config.to_json()) == config
  with pytest.raises(ValueError, match="'stylegan1' generator, not a StyleGAN2"):
    GeneratorConfigV2.from_json(config.to_json())
  v2 = GeneratorConfigV2(resolution=8, channels=(4, 4))
  with pytest.raises(ValueError, match="'stylegan2' generator, not a StyleGAN v1"):
    GeneratorConfig.from_json(v2.to_json())
  with pytest.raises(ValueError, match="power of two"):
    GeneratorConfig(resolution=4, channels=(8,))


def pth_state():
  return dict(safe_pickle.load_checkpoint_file(V1 / "sg1_32.pth"))


def test_pth_reader_lists_every_problem():
  state = pth_state()
  state["extra.weight"] = np.zeros((2, 2), np.float32)
  del state["synthesis.layer3.epilogue.bias"]
  state["synthesis.layer2.conv.weight"] = state["synthesis.layer2.conv.weight"][:, :1]
  with pytest.raises(ConversionError) as err:
    formats.read_interfacegan(state)
  message = str(err.value)
  assert "unmatched source extra.weight (2, 2)" in message
  assert "missing source synthesis.layer3.epilogue.bias" in message
  assert "shape of synthesis.layer2.conv.weight" in message


def test_pth_reader_checks_lod_and_blur():
  state = pth_state()
  state["synthesis.lod"] = np.float32(1.0)
  with pytest.raises(ConversionError, match="lod 0"):
    formats.read_interfacegan(state)
  state = pth_state()
  state["synthesis.layer2.blur.kernel"] = np.ones_like(state["synthesis.layer2.blur.kernel"])
  with pytest.raises(ConversionError, match="blur"):
    formats.read_interfacegan(state)


def test_tf_reader_rejects_unsupported_options():
  networks = safe_pickle.load_checkpoint_file(V1 / "sg1_16_fused_tf.pkl")
  networks[2].state["static_kwargs"]["use_pixel_norm"] = True
  with pytest.raises(ConversionError, match="use_pixel_norm"):
    formats.read_tf(networks)
  networks = safe_pickle.load_checkpoint_file(V1 / "sg1_16_fused_tf.pkl")
  networks[2].state["build_func_name"] = "G_main"
  with pytest.raises(ConversionError, match="G_style"):
    formats.read_tf(networks)


def test_each_format_reader_refuses_the_other_kind_and_the_loader_reads_both():
  for name in ("sg1_32.pth", "sg1_32_tf.pkl"):
    with pytest.raises(ValueError, match="isf-jax-convert stylegan1"):
      stylegan2_format.read_generator(V1 / name)
    config, _ = load_generator(V1 / name)
    assert config.kind == "stylegan1"
  with pytest.raises(ConversionError, match="isf-jax-convert stylegan2"):
    formats.read_generator(FIXTURES / "stylegan2" / "ros_64.pt")
  assert load_generator(FIXTURES / "stylegan2" / "ros_64.pt")[0].kind == "stylegan2"


def test_convert_command_round_trip(tmp_path, capsys):
  out = tmp_path / "sg1"
  assert convert_stylegan1.main([str(V1 / "sg1_16_fused_tf.pkl"), str(out)]) == 0
  assert '"kind": "stylegan1"' in (out / "config.json").read_text()
  config, variables = load_generator(out)
  ref_config, ref_variables, _ = formats.read_generator(V1 / "sg1_16_fused.pth")
  assert config == ref_config
  for path, value in flatten(ref_variables).items():
    np.testing.assert_array_equal(flatten(variables)[path], value, err_msg=path)
  assert convert_stylegan1.main([str(V1 / "sg1_32.pth"), str(out)]) == 1
  assert "exists" in capsys.readouterr().err
  assert (
    convert_stylegan1.main([str(FIXTURES / "stylegan2" / "tf_64.pkl"), str(tmp_path / "x")]) == 1
  )
  assert "G_style" in capsys.readouterr().err
