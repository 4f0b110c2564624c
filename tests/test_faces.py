"""The faces world: labels match what is drawn, determinism, the joint rule."""

import numpy as np
import pytest

from isf_jax.demo import faces

R = 64


@pytest.fixture(scope="module")
def world():
  seeds = np.arange(300)
  u = faces.draws(seeds)
  images, labels = faces.render(seeds, R)
  return images.astype(np.float32) / 255.0, labels, faces.parameters(u)


def _pixel(images, x, y, window: int = 0):
  """Per image the pixels around image-unit points (x [N], y [N]): [N, (2w+1)^2, 3]."""
  col = np.clip(((x + 1) / 2 * R).astype(int), window, R - 1 - window)
  row = np.clip(((y + 1) / 2 * R).astype(int), window, R - 1 - window)
  offsets = range(-window, window + 1)
  idx = np.arange(len(images))
  return np.stack([images[idx, row + dy, col + dx] for dy in offsets for dx in offsets], 1)


def _luminance(rgb):
  return rgb @ np.array([0.299, 0.587, 0.114], np.float32)


def _check(drawn, labels, k):
  name = faces.ATTRIBUTES[k]
  assert labels[:, k].min() == 0 and labels[:, k].max() == 1, f"{name}: one state only"
  mismatched = np.flatnonzero(drawn.astype(int) != labels[:, k])
  assert mismatched.size == 0, f"{name}: drawn differs from the label for images {mismatched}"


def test_background_and_skin_regions(world):
  images, labels, p = world
  corner = _luminance(_pixel(images, np.full(len(images), -0.95), np.full(len(images), -0.95)))
  _check(corner[:, 0] < 0.5, labels, faces.ATTRIBUTES.index("dark_background"))
  below_nose = _luminance(_pixel(images, p["cx"], p["cy"] + 0.12))
  _check(below_nose[:, 0] < 0.5, labels, faces.ATTRIBUTES.index("dark_skin"))


def test_hair_regions(world):
  images, labels, p = world
  crown = _pixel(images, p["cx"], p["cy"] - 0.7 * p["ry"])[:, 0]
  _check(crown[:, 0] > 0.6, labels, faces.ATTRIBUTES.index("blond_hair"))
  # Beside the face at chin height: the hair colour if long, the backdrop if short.
  for side in (-1, 1):
    beside = _pixel(images, p["cx"] + side * 1.2 * p["rx"], p["cy"] + 0.35)[:, 0]
    nearer_hair = np.linalg.norm(beside - p["hair"], axis=1) < np.linalg.norm(
      beside - p["backdrop"], axis=1
    )
    _check(nearer_hair, labels, faces.ATTRIBUTES.index("long_hair"))


def test_glasses_and_mouth_regions(world):
  images, labels, p = world
  rim_x = p["cx"] + p["eye_gap"] + faces.LENS_RADIUS
  rim = _luminance(_pixel(images, rim_x, p["cy"] - 0.05, window=1)).min(axis=1)
  _check(rim < 0.2, labels, faces.ATTRIBUTES.index("glasses"))
  mouth_y = p["cy"] + p["mouth_dy"] * p["ry"] / 0.46
  lip = _pixel(images, p["cx"], mouth_y + 0.07)[:, 0]
  _check(lip[:, 0] - lip[:, 1] > 0.45, labels, faces.ATTRIBUTES.index("smile"))


def test_deterministic_and_batch_independent():
  a, la = faces.render_range(10, 20, 32)
  b, lb = faces.render(np.array([15, 12]), 32)
  np.testing.assert_array_equal(a[[5, 2]], b)
  np.testing.assert_array_equal(la[[5, 2]], lb)
  c, _ = faces.render_range(10, 20, 32)
  np.testing.assert_array_equal(a, c)
  assert a.dtype == np.uint8 and a.shape == (10, 32, 32, 3) and la.shape == (10, 6)


def test_joint_rule_frequencies():
  labels = faces.labels_from_draws(faces.draws(np.arange(20_000)))
  col = {name: labels[:, k].astype(bool) for k, name in enumerate(faces.ATTRIBUTES)}
  assert abs(col["long_hair"][col["smile"]].mean() - faces.P_LONG_GIVEN_SMILE) < 0.02
  assert abs(col["long_hair"][~col["smile"]].mean() - faces.P_LONG_GIVEN_NO_SMILE) < 0.02
  assert abs(col["blond_hair"][col["dark_skin"]].mean() - faces.P_BLOND_GIVEN_DARK) < 0.02
  assert abs(col["blond_hair"][~col["dark_skin"]].mean() - faces.P_BLOND_GIVEN_PALE) < 0.02
  assert abs(col["glasses"].mean() - faces.P_GLASSES) < 0.02


def test_bad_input():
  with pytest.raises(ValueError, match="non-negative"):
    faces.render([-1])
  with pytest.raises(ValueError, match="empty seed range"):
    faces.render_range(5, 5)
