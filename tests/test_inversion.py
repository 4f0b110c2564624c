"""The projector: reconstructs a render of the statistics generator; its pieces; bad input."""

import numpy as np
import pytest
from PIL import Image

from isf_jax import inversion
from isf_jax.generators import read_generator


def test_projection_recovers_a_rendered_image(lpips_cache):
  import jax

  from isf_jax.stylegan2.networks import Generator

  config, variables = read_generator("statistics")
  generator = Generator(config)
  z = np.random.RandomState(3).randn(1, config.z_dim).astype(np.float32)
  wp = generator.apply(variables, z, 0.7, method=Generator.map)  # one W on every layer
  render = jax.jit(lambda wp: generator.apply(variables, wp, method=Generator.synthesize))
  target = np.clip(np.asarray(render(wp))[0], -1, 1)
  # LPIPS-Alex: the default VGG costs ~0.8 s per step on the 2-core CI machine, Alex ~10 ms
  projector = inversion.ProjectorConfig(
    num_steps=40, space="w", w_avg_samples=2000, lpips_net="alex"
  )
  result = inversion.project(config, variables, target, config=projector, progress=False)

  assert result.latent.shape == (8, 64)
  np.testing.assert_array_equal(result.latent, np.broadcast_to(result.latent[0], (8, 64)))
  assert result.lpips < 0.4 * result.lpips_history[0], result.lpips_history
  assert result.psnr > result.initial_psnr + 1.5, (result.initial_psnr, result.psnr)
  assert [n.shape for n in result.noise] == [(4, 4), (8, 8), (8, 8), (16, 16), (16, 16)] + [
    (32, 32)
  ] * 2
  for noise in result.noise:  # renormalised after every step
    assert abs(noise.mean()) < 1e-5 and abs(noise.std() - 1) < 1e-4


def test_learning_rate_and_noise_regularization():
  config = inversion.ProjectorConfig(num_steps=100)
  lr = [float(inversion.learning_rate(s, config)) for s in (0, 5, 50, 100)]
  assert lr[0] == 0 and abs(lr[1] - 0.1) < 1e-6 and abs(lr[2] - 0.1) < 1e-6 and lr[3] == 0
  rng = np.random.RandomState(0)
  white = float(inversion.noise_regularization([rng.randn(32, 32).astype(np.float32)]))
  smooth = float(inversion.noise_regularization([np.ones((32, 32), np.float32)]))
  assert white < 1e-2 and abs(smooth - 2 * 3) < 1e-5  # lag-1 products of ones: 1 per level


def test_load_image_modes_and_errors(tmp_path):
  gray = Image.fromarray(np.full((40, 60), 255, np.uint8), "L")
  gray.save(tmp_path / "gray.png")
  image = inversion.load_image(tmp_path / "gray.png", 32)
  assert image.shape == (32, 32, 3) and np.allclose(image, 1)
  rgba = np.zeros((32, 32, 4), np.uint8)  # fully transparent black: white after compositing
  Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
  assert np.allclose(inversion.load_image(tmp_path / "rgba.png", 32), 1)
  (tmp_path / "junk.png").write_bytes(b"not an image")
  with pytest.raises(ValueError, match="cannot read image"):
    inversion.load_image(tmp_path / "junk.png", 32)
  Image.fromarray(np.zeros((8, 8), np.float32), "F").save(tmp_path / "float.tiff")
  with pytest.raises(ValueError, match="mode F is not supported"):
    inversion.load_image(tmp_path / "float.tiff", 32)
  with pytest.raises(ValueError, match="space must be"):
    inversion.ProjectorConfig(space="z")
