"""Checks on labelled figures: where a tile sits in a grid, whether text was drawn."""

import numpy as np


def tile_positions(grid: np.ndarray, tile: np.ndarray) -> list[tuple[int, int]]:
  """Every (y, x) where uint8 `tile` [h, w, 3] appears in `grid` [H, W, 3] pixel for pixel."""
  h, w = tile.shape[:2]
  found = []
  ys, xs = np.nonzero(
    np.all(grid[: grid.shape[0] - h + 1, : grid.shape[1] - w + 1] == tile[0, 0], -1)
  )
  for y, x in zip(ys, xs, strict=True):
    if np.array_equal(grid[y : y + h, x : x + w], tile):
      found.append((int(y), int(x)))
  return found


def enlarged(tile: np.ndarray, factor: int) -> np.ndarray:
  return tile.repeat(factor, 0).repeat(factor, 1)


def has_text(region: np.ndarray) -> bool:
  """Whether a band of the white background holds dark (text) pixels."""
  return bool(region.size) and int(region.min()) < 128 and not np.all(region == region[0, 0])
