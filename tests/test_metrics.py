"""Metric functions of the evaluation on hand-computed values."""

import jax.numpy as jnp
import numpy as np
import pytest

from isf_jax.metrics import accuracy, diversity, identity, ppl


def abs_distance(a, b):
  """A stand-in perceptual distance: mean absolute difference per item."""
  a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
  return np.abs(a - b).reshape(len(a), -1).mean(axis=1)


def test_sample_pairs_are_distinct_and_ordered():
  first, second = diversity.sample_pairs(4)
  assert list(zip(first.tolist(), second.tolist(), strict=True)) == [
    (0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)
  ]  # fmt: skip
  with pytest.raises(ValueError, match="at least 2 samples"):
    diversity.sample_pairs(1)


def test_pairwise_diversity_excludes_self_pairs():
  samples = np.array([[0.0, 5.0], [1.0, 5.0], [3.0, 5.0]])  # [S=3, N=2]
  got = diversity.pairwise_diversity(abs_distance, samples)
  # input 0: |0-1|, |0-3|, |1-3| = 1, 3, 2 -> 2; input 1: identical samples -> 0
  np.testing.assert_allclose(got, [2.0, 0.0])
  # The official ISF loop (j from i) averages the same sum over S(S+1)/2 pairs: 6 / 6 = 1.
  assert got[0] * (3 - 1) / (3 + 1) == pytest.approx(1.0)


def test_cosine_similarity():
  a = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 3.0]])
  b = np.array([[1.0, 1.0], [5.0, 0.0], [4.0, 0.0]])
  np.testing.assert_allclose(identity.cosine_similarity(a, b), [2**-0.5, 1.0, 0.0], atol=1e-12)


def test_logits_to_labels_and_accuracy():
  logits = np.array([-1.0, 0.0, 0.5, 2.0])
  np.testing.assert_array_equal(accuracy.logits_to_labels(logits), [0, 0, 1, 1])  # p=0.5 -> 0
  np.testing.assert_array_equal(accuracy.logits_to_labels(logits, invert=True), [1, 1, 0, 0])
  predicted = np.array([1, 1, 0, 1])
  assert accuracy.accuracy(predicted, 1) == 0.75
  assert accuracy.accuracy(predicted, 1, mask=[False, False, True, True]) == 0.5
  assert np.isnan(accuracy.accuracy(predicted, 1, mask=[False] * 4))


def test_interpolation_alphas_include_both_ends():
  alphas = ppl.interpolation_alphas(20)
  assert alphas[0] == 0.0 and alphas[-1] == 1.0 and len(alphas) == 20
  np.testing.assert_allclose(np.diff(alphas), 1 / 19)
  with pytest.raises(ValueError, match="at least 3 frames"):
    ppl.interpolation_alphas(2)


def test_lerp_per_code():
  w0, w1 = jnp.zeros((2, 3, 4)), jnp.ones((2, 3, 4))
  out = np.asarray(ppl.lerp(w0, w1, jnp.array([0.25, 1.5])))
  np.testing.assert_allclose(out[0], 0.25)
  np.testing.assert_allclose(out[1], 1.5)


def test_path_distances_pir_and_path_length():
  frames = np.array([0.0, 1.0, 1.5, 4.0])[:, None, None]  # [F=4, N=1, 1]
  steps, shortest = ppl.path_distances(abs_distance, frames)
  np.testing.assert_allclose(steps, [[1.0, 0.5, 2.5]])
  np.testing.assert_allclose(shortest, [4.0])
  # (max - min) / (D + 1e-6), as coefficient_variation_maxmin of the official coeff_var.py
  np.testing.assert_allclose(ppl.perceptual_interpolation_range(steps, shortest), [2.0 / 4.000001])
  np.testing.assert_allclose(ppl.path_length(steps), [4.0 / 3.0])
  # An evenly spaced path has PIR 0.
  even = np.linspace(0, 1, 20)[:, None, None]
  s, d = ppl.path_distances(abs_distance, even)
  np.testing.assert_allclose(ppl.perceptual_interpolation_range(s, d), [0.0], atol=1e-12)


def test_face_crop_and_downsample():
  images = np.arange(16 * 16, dtype=np.float32).reshape(1, 16, 16, 1)
  crop = ppl.face_crop(images)  # c = 2: rows 6..13, columns 4..11
  assert crop.shape == (1, 8, 8, 1)
  assert crop[0, 0, 0, 0] == 6 * 16 + 4 and crop[0, -1, -1, 0] == 13 * 16 + 11
  big = np.arange(512 * 512, dtype=np.float32).reshape(1, 512, 512, 1)
  small = ppl.downsample_to(big, 256)
  assert small.shape == (1, 256, 256, 1)
  assert small[0, 0, 0, 0] == (0 + 1 + 512 + 513) / 4
  assert ppl.downsample_to(images, 256) is images


def test_ppl_distances_and_percentile_filter():
  a, b = np.zeros((2, 1)), np.array([[1e-4], [2e-4]])
  np.testing.assert_allclose(ppl.ppl_distances(abs_distance, a, b, eps=1e-2), [1.0, 2.0])
  # 1st percentile ('lower') of 0..99, 1e6 is 1, the 99th ('higher') 99: mean of 1..99 = 50.
  distances = np.concatenate([np.arange(100.0), [1e6]])
  assert ppl.filtered_mean(distances) == pytest.approx(50.0)
  with pytest.raises(ValueError, match="no distances"):
    ppl.filtered_mean([])
