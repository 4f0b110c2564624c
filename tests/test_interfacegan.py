"""InterFaceGAN baseline: SVM boundaries as InterFaceGAN's train_boundary, and its edits."""

import jax.numpy as jnp
import numpy as np
import pytest

from isf_jax.baselines import interfacegan


def _separable(n=1000, dim=8, seed=0):
  rng = np.random.default_rng(seed)
  direction = rng.normal(size=dim)
  direction /= np.linalg.norm(direction)
  latents = rng.normal(size=(n, dim))
  return latents, latents @ direction, direction


def test_boundary_recovers_the_separating_direction():
  latents, scores, direction = _separable()
  normal, val_accuracy = interfacegan.train_boundary(latents, scores, chosen_num_or_ratio=0.1)
  assert normal.shape == (8,) and normal.dtype == np.float32
  assert np.linalg.norm(normal) == pytest.approx(1.0, abs=1e-6)
  assert normal @ direction > 0.9  # points towards the high scores
  assert val_accuracy == 1.0  # top and bottom 10% are far apart


def test_boundary_uses_top_and_bottom_codes_only():
  latents, scores, _ = _separable(n=1000)
  # Scramble the middle 96%: with ratio 0.02 only the 20 highest and 20 lowest codes count.
  middle = np.argsort(scores)[20:-20]
  noisy = scores.copy()
  noisy[middle] = np.random.default_rng(1).permutation(noisy[middle])
  a, _ = interfacegan.train_boundary(latents, scores)
  b, _ = interfacegan.train_boundary(latents, noisy)
  np.testing.assert_allclose(a, b, atol=1e-6)
  with pytest.raises(ValueError, match="no training pairs"):
    interfacegan.train_boundary(latents[:10], scores[:10])


def test_inverted_labels_orient_the_normal_towards_label_one():
  latents, probs, direction = _separable(n=2000, seed=3)
  labels = (probs < 0).astype(np.int64)[:, None]  # label 1 = low classifier output (invert)
  wp = np.repeat(latents[:, None], 3, axis=1)  # [N, L=3, C]
  boundaries = interfacegan.train_boundaries(wp, labels, ["a"], probs=probs[:, None])
  assert boundaries.normals[0] @ direction < -0.9
  from_labels = interfacegan.train_boundaries(wp, labels, ["a"], chosen_num_or_ratio=0.5)
  assert from_labels.normals[0] @ direction < -0.9


def test_edit_moves_every_layer_by_alpha_times_the_normal():
  wp = jnp.zeros((2, 3, 4))
  normal = np.array([1.0, 0.0, 0.0, 0.0], np.float32)
  out = np.asarray(interfacegan.edit(wp, normal, jnp.array([1.0, 0.0]), alpha=3.0))
  np.testing.assert_allclose(out[0, :, 0], 3.0)
  np.testing.assert_allclose(out[1, :, 0], -3.0)
  np.testing.assert_allclose(out[:, :, 1:], 0.0)


def test_save_and_load_boundaries(tmp_path):
  b = interfacegan.Boundaries(("x", "y"), np.eye(2, 4, dtype=np.float32), np.array([1.0, 0.5]))
  interfacegan.save_boundaries(tmp_path / "b.npz", b, {"data": "demo"})
  loaded, meta = interfacegan.load_boundaries(tmp_path / "b.npz")
  assert loaded.names == ("x", "y") and meta == {"data": "demo"}
  np.testing.assert_array_equal(loaded.normals, b.normals)
  assert [p.name for p in tmp_path.iterdir()] == ["b.npz"]  # no temporary left behind
