"""StyleGAN2 discriminator shapes and a short training run: finite losses, EMA, exact resume."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

from configs.stylegan2_faces import get_config
from isf_jax.generators import read_generator as load_generator
from isf_jax.stylegan2 import train_loop
from isf_jax.stylegan2.discriminator import Discriminator, minibatch_stddev
from tests.helpers.grids import has_text


def test_discriminator_shapes():
  d = Discriminator(resolution=16, channels=(32, 16, 8))
  x = jnp.zeros((8, 16, 16, 3))
  variables = d.init(jax.random.key(0), x)
  assert d.apply(variables, x).shape == (8,)
  params = variables["params"]
  assert params["b16_fromrgb"]["weight"].shape == (1, 1, 3, 8)
  assert params["b16_conv1"]["weight"].shape == (3, 3, 8, 16)
  assert params["b16_skip"]["weight"].shape == (1, 1, 8, 16) and "bias" not in params["b16_skip"]
  assert params["b4_conv"]["weight"].shape == (3, 3, 33, 32)  # + the stddev channel
  assert params["b4_fc"]["weight"].shape == (32 * 16, 32)
  with pytest.raises(ValueError, match="expected images"):
    d.apply(variables, jnp.zeros((8, 8, 8, 3)))


def test_minibatch_stddev_groups_consecutive_samples():
  x = jnp.concatenate(
    [jnp.zeros((4, 2, 2, 3)), jnp.ones((4, 2, 2, 3)) * jnp.arange(4.0)[:, None, None, None]]
  )
  y = minibatch_stddev(x, group_size=4)
  assert y.shape == (8, 2, 2, 4)
  np.testing.assert_allclose(y[:4, ..., 3], 1e-4, atol=1e-4)  # identical samples: ~sqrt(1e-8)
  np.testing.assert_allclose(y[4:, ..., 3], np.std(np.arange(4.0)), rtol=1e-5)
  with pytest.raises(ValueError, match="divisible"):
    minibatch_stddev(jnp.zeros((6, 2, 2, 3)))


def tiny_config(total_steps):
  c = get_config()
  c.resolution = 8
  c.total_steps = total_steps
  c.log_every_steps = 1
  c.sample_every_steps = c.ckpt_every_steps = 2
  c.sample_count = 4
  c.generator.channels = c.discriminator.channels = [16, 8]
  c.generator.z_dim = c.generator.w_dim = 16
  c.generator.mapping_layers = 2
  c.train.batch_size = 4 * jax.device_count()
  c.train.r1_interval = 2
  c.export.w_avg_samples = 64
  return c


@pytest.fixture
def compilation_cache(tmp_path):
  """A persistent compilation cache for one test: the three `train` calls below jit the same
  programs anew, and each would otherwise compile them again."""
  names = ("jax_compilation_cache_dir", "jax_persistent_cache_min_compile_time_secs")
  previous = [getattr(jax.config, name) for name in names]
  jax.config.update(names[0], str(tmp_path / "xla_cache"))
  jax.config.update(names[1], 0.0)
  yield
  for name, value in zip(names, previous, strict=True):
    jax.config.update(name, value)


@pytest.mark.slow
def test_short_run_finite_ema_and_exact_resume(tmp_path, compilation_cache):
  images = np.random.default_rng(0).integers(0, 256, (32, 8, 8, 3), dtype=np.uint8)
  straight = train_loop.train(tiny_config(4), tmp_path / "straight", images)
  assert all(np.isfinite(v) for v in straight.values())
  assert {"g/loss", "d/loss", "ema/beta"} <= set(straight)
  logged = [json.loads(line) for line in (tmp_path / "straight" / "metrics.jsonl").open()]
  assert [m["step"] for m in logged] == [1, 2, 3, 4]
  r1_steps = [m["step"] for m in logged if "d/r1" in m]
  assert r1_steps == [1, 3] and all(np.isfinite(m.get("d/r1", 0.0)) for m in logged)
  samples = np.asarray(Image.open(tmp_path / "straight" / "samples" / "step_000004.png"))
  assert has_text(samples[:16]) and samples.shape[0] > 64  # titled, captioned 8 px samples

  train_loop.train(tiny_config(2), tmp_path / "resumed", images)
  resumed = train_loop.train(tiny_config(4), tmp_path / "resumed", images)
  assert resumed["g/loss"] == straight["g/loss"] and resumed["d/loss"] == straight["d/loss"]

  _, a = load_generator(tmp_path / "straight" / "generator_ema")
  _, b = load_generator(tmp_path / "resumed" / "generator_ema")
  jax.tree.map(np.testing.assert_array_equal, a, b)

  nets = train_loop.build_networks(tiny_config(4))
  initial = nets.generator.init(jax.random.split(jax.random.PRNGKey(0), 3)[0], jnp.zeros((1, 16)))
  moved = jax.tree.map(lambda x, y: float(np.max(np.abs(x - y))), a["params"], initial["params"])
  assert max(jax.tree.leaves(moved)) > 0  # the EMA moved off the initial weights
  assert np.any(a["buffers"]["mapping"]["w_avg"] != 0)  # w_avg exported
