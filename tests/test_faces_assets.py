"""The committed faces-world generator and attribute classifiers load and do their job."""

import numpy as np
import pytest

from isf_jax.demo import classifier, faces, generator_quality
from isf_jax.generators import read_generator as load_generator
from isf_jax.images import from_uint8

GENERATOR = classifier.ASSETS.parent / "generator"


def test_classifiers_score_on_fresh_renders():
  images, labels = faces.render(np.arange(3_000_000, 3_000_256), 32)
  predicted = classifier.face_labels(from_uint8(images))
  accuracy = (predicted == labels).mean(axis=0)
  assert accuracy.min() >= 0.98, dict(zip(faces.ATTRIBUTES, accuracy.round(3), strict=True))
  probs = classifier.face_probabilities(from_uint8(images[:4]))
  assert probs.shape == (4, len(faces.ATTRIBUTES)) and np.all((probs >= 0) & (probs <= 1))


def test_classifiers_are_stored_like_nvidias():
  _, thresholds, invert = classifier.load()
  np.testing.assert_array_equal(thresholds, 0.5)
  assert not invert.any()
  with pytest.raises(FileNotFoundError, match="no face classifier"):
    classifier.load("/nonexistent")


def test_generator_loads_and_samples():
  config, variables = load_generator(GENERATOR)
  assert config.resolution == 32
  assert np.any(variables["buffers"]["mapping"]["w_avg"] != 0)
  samples = generator_quality.sample(config, variables, 8, seed=1)
  assert samples.shape == (8, 32, 32, 3) and np.all(np.isfinite(samples))
  assert samples.std(axis=0).mean() > 0.05  # different z, different faces
