"""Labelled grids: layout, labels drawn, cells intact, determinism, bad input."""

import numpy as np
import pytest

from isf_jax import figures, images
from isf_jax.demo import faces, generator_quality
from tests.helpers.grids import enlarged, has_text, tile_positions


def _rows(shape=(2, 3, 32, 32, 3), seed=0):
  return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def test_unlabelled_grid_is_the_plain_grid():
  rows = _rows()  # [2, 3, 32, 32, 3]: tiles enlarged to 64 px, 2 px white between them
  grid = figures.labelled_grid(rows)
  assert grid.shape == (2 * 64 + 2, 3 * 64 + 2 * 2, 3)
  for r in range(2):
    for c in range(3):
      y, x = r * 66, c * 66
      np.testing.assert_array_equal(grid[y : y + 64, x : x + 64], enlarged(rows[r, c], 2))
  assert np.all(grid[64:66] == 255) and np.all(grid[:, 130:132] == 255)


def test_labels_add_margins_and_keep_every_cell():
  rows = _rows()
  plain = figures.labelled_grid(rows)
  grid = figures.labelled_grid(rows, ["source", "flip warm"], ["a", "b", "c"], title="step 5")
  assert grid.dtype == np.uint8 and grid.shape[2] == 3
  assert grid.shape[0] > plain.shape[0] and grid.shape[1] > plain.shape[1]
  positions = {}
  for r in range(2):
    for c in range(3):
      (positions[r, c],) = tile_positions(grid, enlarged(rows[r, c], 2))  # once, 64 px
  top, left = positions[0, 0]
  assert positions[1, 2] == (top + 64 + 2, left + 2 * (64 + 2))  # the plain grid's spacing
  assert has_text(grid[:top, left:])  # title and column labels above the cells
  assert has_text(grid[top:, :left])  # row labels left of them
  assert has_text(grid[top + 66 :, :left])  # the second row's label too


def test_wide_labels_widen_their_column_and_cell_labels_add_a_band():
  rows = _rows((1, 2, 32, 32, 3))
  narrow = figures.labelled_grid(rows, column_labels=["a", "b"])
  wide = figures.labelled_grid(rows, column_labels=["a", "a much longer column label"])
  assert wide.shape[0] == narrow.shape[0] and wide.shape[1] > narrow.shape[1]
  titled = figures.labelled_grid(rows, title="a title much wider than the two tiles below it")
  assert titled.shape[1] > narrow.shape[1] and has_text(titled[:, -20:])  # not cut off
  captioned = figures.labelled_grid(rows, column_labels=["a", "b"], cell_labels=[["", "0 -> 1"]])
  assert captioned.shape[0] > narrow.shape[0]
  (y, x) = tile_positions(captioned, enlarged(rows[0, 1], 2))[0]
  assert has_text(captioned[y + 64 :, x : x + 64])


def test_deterministic_and_text_dependent():
  rows = _rows()
  args = (rows, ["r0", "r1"], ["c0", "c1", "c2"], "title")
  np.testing.assert_array_equal(figures.labelled_grid(*args), figures.labelled_grid(*args))
  other = figures.labelled_grid(rows, ["r0", "r9"], ["c0", "c1", "c2"], "title")
  assert not np.array_equal(figures.labelled_grid(*args), other)


def test_bad_input_is_named():
  with pytest.raises(ValueError, match="2 row labels for 3 rows"):
    figures.labelled_grid(_rows((3, 1, 4, 4, 3)), ["a", "b"])
  with pytest.raises(ValueError, match="cell labels must be 1 rows of 2"):
    figures.labelled_grid(_rows((1, 2, 4, 4, 3)), cell_labels=[["a"]])
  with pytest.raises(ValueError, match="uint8 rows"):
    figures.labelled_grid(np.zeros((2, 4, 4, 3), np.uint8))


def test_generator_quality_grid_labels_each_attribute():
  samples = np.random.default_rng(1).uniform(-1, 1, (20, 32, 32, 3)).astype(np.float32)
  labels = np.random.default_rng(2).integers(0, 2, (20, len(faces.ATTRIBUTES)))
  grid = generator_quality.labelled_grid(samples, labels, per_side=2)
  tiles = images.to_uint8(samples)
  k = len(faces.ATTRIBUTES) - 1
  first_yes = int(np.flatnonzero(labels[:, k] == 1)[0])
  y, x = max(tile_positions(grid, enlarged(tiles[first_yes], 3)))  # 96 px, last row
  assert has_text(grid[y : y + 96, :x])  # the attribute's name
  assert grid.shape[1] >= x + 4 * 96


class _Identity:
  """A generator whose image is the code's first 48 values as a 4x4 RGB tile."""

  def apply(self, variables, w, noise_mode, method):
    return w[:, 0, :48].reshape(-1, 4, 4, 3)


class _Shift:
  """An ISF that adds 0.25 per target set to 1 (exact in float32 and in uint8)."""

  def apply(self, variables, wp, noise, targets):
    return wp + variables["params"]["shift"] * targets.sum(-1)[:, None, None]


def test_trainer_sample_grid_is_labelled(tmp_path):
  from types import SimpleNamespace

  import jax.numpy as jnp
  from PIL import Image

  from isf_jax.training.samples import make_sampler

  nets = SimpleNamespace(generator=_Identity(), isf=_Shift())
  config = SimpleNamespace(
    data=SimpleNamespace(attributes=["bright", "warm"]), train=SimpleNamespace(noise_dim=3)
  )
  rng = np.random.default_rng(0)
  wp = rng.choice(np.float32([-0.5, 0.0, 0.25]), (3, 2, 64))  # [S, L, C]
  labels = np.float32([[0, 1], [1, 0], [1, 1]])  # [S, K]
  write = make_sampler(nets, config, {"generator": {}}, jnp.asarray(wp), jnp.asarray(labels))
  out = tmp_path / "step_000007.png"
  write(SimpleNamespace(isf_ema_params={"shift": 0.25}, step=jnp.int32(7)), out)
  grid = np.asarray(Image.open(out))
  plain = 3 * 64 + 2 * 2  # 3 rows (source, 2 flips) x 3 test codes, 4 px tiles enlarged x16
  assert grid.shape[0] > plain and grid.shape[1] > plain
  tile = lambda w: enlarged(images.to_uint8(w[0, :48].reshape(4, 4, 3)), 16)  # noqa: E731
  source, unchanged = tile_positions(grid, tile(wp[1]))  # flipping bright to 0 sets none
  assert unchanged[1] == source[1] and unchanged[0] > source[0] + 64  # the "flip bright" row
  # code 1 (labels 1, 0) with warm flipped to 1: two targets set
  (flipped,) = tile_positions(grid, tile(wp[1] + 0.5))
  assert flipped[1] == source[1] and flipped[0] > unchanged[0] + 64  # the third row
  assert has_text(grid[: source[0], source[1] : source[1] + 64])  # title, "test 1"
  assert has_text(grid[flipped[0] :, : source[1]])  # "flip warm"
  assert has_text(grid[flipped[0] + 64 :, flipped[1] : flipped[1] + 64])  # "0 -> 1"
