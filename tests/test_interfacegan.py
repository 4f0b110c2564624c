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
    interfacegan.train_boundary(latents[:2], scores[:2])
  # A small set still gets MIN_CHOSEN codes per side (2% of 100 would be 2).
  small, _ = interfacegan.train_boundary(latents[:100], scores[:100])
  assert small @ interfacegan.train_boundary(latents[:100], scores[:100], 10)[0] > 0.999


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


def test_w_edit_before_truncation_is_a_scaled_edit_of_the_truncated_codes():
  """InterFaceGAN's StyleGAN v1 edit: w + a n in W, then psi 0.7 on W+ layers 0-7. On the
  dataset's truncated W+ codes that is layer l + a psi_l n, and W is layer `cutoff`."""
  from isf_jax.stylegan1.networks import truncate

  rng = np.random.default_rng(0)
  w, w_avg = rng.normal(size=(3, 6)), rng.normal(size=6)
  normal = rng.normal(size=6)
  normal /= np.linalg.norm(normal)
  target = np.array([1.0, 0.0, 1.0])

  def truncated(w):  # [N, C] -> [N, 18, C] as InterFaceGAN's TruncationModule
    return np.asarray(truncate(np.repeat(w[:, None], 18, axis=1), w_avg, 0.7, 8))

  sign = (2 * target - 1)[:, None]
  expected = truncated(w + 3.0 * sign * normal)
  scale = interfacegan.truncation_coefficients(18, 0.7, 8)
  np.testing.assert_allclose(scale, [0.7] * 8 + [1.0] * 10)
  edited = interfacegan.edit(jnp.asarray(truncated(w)), normal, jnp.asarray(target), 3.0, scale)
  np.testing.assert_allclose(np.asarray(edited), expected, atol=1e-5)
  layer = interfacegan.untruncated_layer(18, 0.7, 8)
  np.testing.assert_allclose(truncated(w)[:, layer], w, atol=1e-6)
  assert interfacegan.untruncated_layer(18, 1.0, 0) == 0
  with pytest.raises(ValueError, match="every one of the 18 W\\+ layers is truncated"):
    interfacegan.untruncated_layer(18, 0.7, 18)


def test_boundaries_train_on_the_chosen_layer():
  latents, scores, direction = _separable(n=1000, seed=4)
  wp = np.stack([np.zeros_like(latents), latents], axis=1)  # [N, 2, C]: only layer 1 informs
  boundaries = interfacegan.train_boundaries(wp, scores[:, None], ["a"], layer=1)
  assert boundaries.normals[0] @ direction > 0.9


def test_released_boundary_files(tmp_path):
  """InterFaceGAN saves each boundary with np.save as a unit normal [1, 512]."""
  normal = np.random.default_rng(0).normal(size=(1, 512)).astype(np.float32)
  normal /= np.linalg.norm(normal)
  np.save(tmp_path / "stylegan_ffhq_age_w_boundary.npy", normal)
  loaded = interfacegan.load_released_boundary(tmp_path / "stylegan_ffhq_age_w_boundary.npy", 512)
  assert loaded.shape == (512,) and loaded.dtype == np.float32
  np.testing.assert_array_equal(loaded, normal[0])
  bad = {
    "wide.npy": (
      np.ones((2, 512)) / np.sqrt(1024),
      r"float array \[1, C\], got float64 \(2, 512\)",
    ),
    "long.npy": (normal, "boundary has 512 dimensions, the latents 64"),
    "scaled.npy": (3 * normal, "unit normal, this one has norm 3"),
  }
  for name, (array, message) in bad.items():
    np.save(tmp_path / name, array)
    with pytest.raises(ValueError, match=message):
      interfacegan.load_released_boundary(tmp_path / name, 64 if name == "long.npy" else 512)
  (tmp_path / "text.npy").write_text("not numpy")
  with pytest.raises(ValueError, match="not a numpy .npy boundary"):
    interfacegan.load_released_boundary(tmp_path / "text.npy")


def test_evaluation_baseline_mixes_released_and_trained_boundaries(tmp_path):
  """configs/ffhq_sg1.py: given files are used as they are, the other attributes are trained
  on W (the first untruncated layer), and edits move W before the truncation."""
  from configs import ffhq_sg1
  from isf_jax.evaluation import run

  config = ffhq_sg1.get_config()
  latents, scores, direction = _separable(n=2000, dim=8, seed=5)
  wp = np.repeat(latents[:, None], 18, axis=1).astype(np.float32)
  wp[:, :8] *= 0.7  # truncated towards w_avg = 0
  labels = np.repeat((scores > 0)[:, None], 4, axis=1).astype(np.float32)
  given = np.eye(1, 8, 3, dtype=np.float32)  # [1, 8]
  np.save(tmp_path / "age.npy", given)
  files = run.boundary_files({"age": str(tmp_path / "age.npy")}, config.data.attributes)
  train = {"wp": wp, "labels": labels, "probs": np.repeat(scores[:, None], 4, axis=1)}
  method, meta = run.interfacegan_baseline(config, train, tmp_path, None, files, wp.shape[1:])
  assert meta["truncation"] == {"psi": 0.7, "cutoff": 8}
  assert sorted(meta["boundary_val_accuracy"]) == ["expression", "gender", "glasses"]
  targets = jnp.ones((2, 4))
  asked = lambda k: jnp.eye(4)[k][None]  # noqa: E731  [1, 4]: attribute k alone
  moved = np.asarray(method.edit(jnp.asarray(wp[:2]), targets, asked(2), None)) - wp[:2]  # age
  np.testing.assert_allclose(moved[:, :8], 3.0 * 0.7 * np.broadcast_to(given, (2, 8, 8)), atol=1e-6)
  np.testing.assert_allclose(moved[:, 8:], 3.0 * np.broadcast_to(given, (2, 10, 8)), atol=1e-6)
  gender = np.asarray(method.edit(jnp.asarray(wp[:1]), targets, asked(0), None))[0, 8] - wp[0, 8]
  assert gender @ direction / 3.0 > 0.9  # trained on W, oriented towards label 1
  with pytest.raises(ValueError, match="unknown attributes \\['smile'\\]"):
    run.boundary_files({"smile": str(tmp_path / "age.npy")}, config.data.attributes)
  with pytest.raises(FileNotFoundError, match="do not exist"):
    run.boundary_files({"age": str(tmp_path / "none.npy")}, config.data.attributes)


def test_several_attributes_at_once_add_the_single_edits():
  rng = np.random.default_rng(3)
  wp = jnp.asarray(rng.normal(size=(2, 5, 8)), jnp.float32)
  normals = jnp.asarray(rng.normal(size=(3, 8)), jnp.float32)
  targets = jnp.asarray([[1, 0, 1], [0, 0, 1]], jnp.float32)
  asked = jnp.asarray([[1, 1, 0], [0, 1, 1]], jnp.float32)
  scale = jnp.asarray([0.7, 0.7, 1, 1, 1], jnp.float32)
  together = interfacegan.edit_attributes(wp, normals, targets, asked, 3.0, scale)
  expected = np.asarray(wp).copy()
  for i in range(2):
    for k in range(3):
      if asked[i, k]:
        one = interfacegan.edit(wp[i : i + 1], normals[k], targets[i : i + 1, k], 3.0, scale)
        expected[i] += np.asarray(one - wp[i : i + 1])[0]
  np.testing.assert_allclose(np.asarray(together), expected, atol=1e-5)
