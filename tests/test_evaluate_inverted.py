"""Edits of inverted codes (isf_jax.evaluation.inverted): photos of the test codes, their
inversions, and accuracy and content LPIPS measured against the photos."""

import jax.numpy as jnp
import numpy as np
import pytest

from isf_jax import invert
from isf_jax.evaluation import Method, MetricNetworks
from isf_jax.evaluation import inverted as inverted_lib
from isf_jax.generators import generator_module, read_generator
from isf_jax.lpips.checkpoint import load_lpips
from tests.helpers.editing import make_encoder_checkpoint


def test_scores_edits_against_the_photos(tmp_path, lpips_cache):
  config, variables = read_generator("statistics")
  generator = generator_module(config)
  render = lambda wp: generator.apply(variables, wp, method="synthesize")  # noqa: E731
  model, lpips_variables = load_lpips("alex", "0.1", check_range=False)
  lpips = lambda a, b: model.apply(lpips_variables, a, b)  # noqa: E731
  bright = lambda images: (jnp.mean(images, axis=(1, 2, 3)) > 0)[:, None].astype(jnp.int32)  # noqa: E731
  nets = MetricNetworks(lpips=lpips, classifier=bright)
  unchanged = Method("unchanged", lambda wp, targets, asked, key: wp)
  wp = np.asarray(generator.apply(variables, np.random.RandomState(0).randn(3, config.z_dim)
                                  .astype(np.float32), method="map"))  # fmt: skip
  labels = np.asarray(bright(render(wp)), np.float32)
  encoder = invert.load_encoder(make_encoder_checkpoint(tmp_path / "encoder"), config)
  codes = inverted_lib.invert_test_codes(wp, config, variables, "encoder", encoder, seed=1)
  assert codes.wp.shape == wp.shape and codes.photos.shape == (3, 32, 32, 3)
  assert not np.allclose(codes.photos, np.asarray(render(wp)), atol=0.05)  # fresh noise
  scores = inverted_lib.score_inverted_edits([unchanged], render, nets, wp, labels, codes,
                                             ["bright"], batch_size=2)  # fmt: skip
  cell = scores["unchanged"]["bright"]["to 1"]
  assert cell["sampled"]["content"] == pytest.approx(0, abs=1e-6)  # unchanged: its own render
  # inverted: the reconstruction against the photo, i.e. the inversion's own LPIPS
  expected = np.mean(np.asarray(lpips(codes.photos, render(codes.wp))))
  assert cell["inverted"]["content"] == pytest.approx(expected, rel=1e-4)
  assert cell["sampled"]["acc"] == pytest.approx(100 * np.mean(labels[:, 0] == 1))
  table = inverted_lib.markdown(scores, codes)
  assert "| unchanged | bright | to 0 |" in table and "encoder" in table.splitlines()[0]


def test_request_errors():
  with pytest.raises(ValueError, match="--invert encoder needs --encoder DIR"):
    inverted_lib.InversionRequest("encoder")
  with pytest.raises(ValueError, match="--invert must be none or one of"):
    inverted_lib.InversionRequest("magic")
