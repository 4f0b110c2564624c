"""Inversion modes (isf_jax.invert) through the Translator: the projector, a random-weight
e4e encoder for the statistics generator, and the encoder followed by projector steps."""

import re
import warnings

import numpy as np
import pytest
from PIL import Image

from isf_jax import generators, images, inversion, invert
from isf_jax.encoders import e4e
from isf_jax.translator import Translator
from tests.helpers.editing import make_encoder_checkpoint, make_isf_checkpoint


@pytest.fixture(scope="module")
def translator(tmp_path_factory):
  root = tmp_path_factory.mktemp("invert")
  isf = make_isf_checkpoint(root / "isf")
  return Translator.load(isf=isf, encoder=make_encoder_checkpoint(root / "encoder"))


@pytest.fixture(scope="module")
def photo(translator):
  """[1, 32, 32, 3] in [-1, 1]: a statistics-world render, as saved to a PNG."""
  rendered = images.to_uint8(translator.render(translator.latents_from_seeds([5])))
  return rendered.astype(np.float32) / 127.5 - 1.0


def test_encoder_mode_codes_and_quality(translator, photo, lpips_cache):
  encoded = translator.invert(photo, mode="encoder", lpips_net="alex")
  direct = np.asarray(translator.encoder.encode(photo))
  np.testing.assert_array_equal(encoded.wp, direct)  # one encoder pass, nothing else
  assert encoded.steps == 0 and encoded.space is None and encoded.wp.shape == (1, 8, 64)
  # the reported quality is that of the code rendered as the editor renders it
  np.testing.assert_allclose(
    encoded.reconstructions, np.clip(translator.render(direct), -1, 1), atol=1e-5
  )
  assert encoded.psnr[0] == pytest.approx(
    inversion.psnr(translator.render(direct)[0], photo[0]), abs=1e-4
  )


@pytest.mark.slow  # compiles the projector in W+ (~10 s idle, 20-80 s on 2 busy cores)
def test_encoder_then_optimize_mode(translator, photo, lpips_cache):
  # the projector alone ("optimize") is tested end to end in tests/test_edit_cli.py
  encoded = translator.invert(photo, mode="encoder", lpips_net="alex")
  both = translator.invert(photo, mode="encoder+optimize", steps=2, lpips_net="alex")
  assert both.steps == 2 and both.space == "wp" and both.wp.shape == (1, 8, 64)
  assert 0 < both.lpips[0] < 1 and 0 < both.psnr[0] < 60 and both.seconds[0] > 0
  assert not np.allclose(both.wp, encoded.wp)  # the projector moved the encoder's code
  record = both.record(0)
  assert record["mode"] == "encoder+optimize" and record["lpips"] == float(both.lpips[0])


@pytest.mark.slow  # compiles the projector in W+
def test_encoder_then_projector_starts_at_the_encoders_reconstruction(
  translator, photo, lpips_cache
):
  """Step 0 of encoder+optimize renders the encoder's code with the generator's constant
  noise, i.e. exactly the "encoder" mode's reconstruction."""
  encoded = translator.invert(photo, mode="encoder", lpips_net="alex")
  const_noise = generators.const_noise(translator.generator_config, translator.generator_variables)
  projection = inversion.project(
    translator.generator_config,
    translator.generator_variables,
    photo[0],
    config=inversion.ProjectorConfig(num_steps=1, space="wp", lpips_net="alex"),
    progress=False,
    initial_latent=encoded.wp[0],
    initial_noise=const_noise,
  )
  assert projection.initial_psnr == pytest.approx(encoded.psnr[0], abs=1e-4)
  with pytest.raises(ValueError, match=r"initial_latent must be W\+ \[L, C\] = \[8, 64\]"):
    inversion.project(
      translator.generator_config,
      translator.generator_variables,
      photo[0],
      config=inversion.ProjectorConfig(num_steps=1, space="wp", lpips_net="alex"),
      initial_latent=encoded.wp[0, 0],
    )


def test_encoder_that_does_not_fit_the_generator(translator):
  generator = translator.generator_config
  for config, shape in (
    (e4e.E4EConfig(resolution=64, style_dim=64), "W+ [10, 64] for a 64 px"),
    (e4e.E4EConfig(resolution=32, style_dim=512), "W+ [8, 512] for a 32 px"),
  ):
    message = f"ckpts/e4e encodes {shape} generator; this generator needs W+ [8, 64] at 32 px"
    with pytest.raises(ValueError, match=re.escape(message)):
      invert.check_encoder(config, generator, "encoder ckpts/e4e")


def test_bad_modes(translator, photo):
  bare = Translator.load(isf=translator.provenance["isf"])
  with pytest.raises(ValueError, match="'encoder' needs an e4e encoder.*isf-jax-convert e4e"):
    bare.invert(photo, mode="encoder")
  with pytest.raises(ValueError, match="space must be 'wp'"):
    translator.invert(photo, mode="encoder+optimize", space="w")
  with pytest.raises(ValueError, match="inversion mode must be one of"):
    translator.invert(photo, mode="fast")
  with pytest.raises(ValueError, match=r"images must be \[N, 32, 32, 3\]"):
    translator.invert(photo[:, :16], mode="encoder")


def test_photos_not_at_the_generators_size_are_recorded_and_warned(tmp_path):
  Image.new("RGB", (48, 40), (10, 200, 30)).save(tmp_path / "wide.png")
  Image.new("RGB", (32, 32), (10, 200, 30)).save(tmp_path / "fits.png")
  wide = invert.read_photo(tmp_path / "wide.png", 32)
  assert wide.alignment == {"aligned": False, "size": [48, 40], "cropped": True, "resized": True}
  assert "wide.png is 48x40 px, not 32x32" in wide.warning and "--align" in wide.warning
  assert wide.image.shape == (32, 32, 3)
  fits = invert.read_photo(tmp_path / "fits.png", 32)
  assert fits.warning is None and not fits.alignment["cropped"] | fits.alignment["resized"]
  np.testing.assert_allclose(fits.image[0, 0], np.array([10, 200, 30]) / 127.5 - 1)


def test_translator_aligns_photo_files(translator, tmp_path, lpips_cache):
  skimage_data = pytest.importorskip("skimage.data")
  pytest.importorskip("dlib")
  Image.fromarray(skimage_data.astronaut()).save(tmp_path / "astronaut.png")
  with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    result = translator.invert([tmp_path / "astronaut.png"], mode="encoder", align=True)
  assert [str(w.message) for w in caught] == [
    f"{tmp_path / 'astronaut.png'}: {result.photos[0].alignment['note']}"
  ]
  alignment = result.photos[0].alignment
  assert alignment["aligned"] and alignment["method"] == "ffhq" and alignment["num_faces"] == 2
  assert alignment["note"].startswith("2 faces found; aligned the most confident")
  assert result.wp.shape == (1, 8, 64) and np.isfinite(result.lpips).all()
