"""Labelled image grids: pictures a person reads at a glance (what each row and column is).

  grid = labelled_grid(rows,                                   # uint8 [R, C, H, W, 3]
                       row_labels=["seed0000", "seed0001"],     # R strings
                       column_labels=["source", "sample 0"],    # C strings
                       title="targets: bright=1")
  images.save_png("grid.png", grid)

Text is drawn with Pillow's built-in scalable font (`ImageFont.load_default(size)`, no system
fonts needed), so the same inputs give the same bytes on any machine with the same Pillow.
Tiles smaller than `min_size` are enlarged by pixel repetition (32 px demo images stay visible);
a column is widened, its tiles centred, when its label is wider than a tile. Labels may hold
several lines ("frame 3\\nalpha 0.43").
"""

from __future__ import annotations

import functools
import math

import numpy as np

MARGIN = 4  # pixels between text and its neighbours


@functools.cache
def _font(size: int):
  from PIL import ImageFont

  return ImageFont.load_default(size=size)


def _text_size(text: str, size: int) -> tuple[int, int]:
  """(width, height) in pixels of (possibly multi-line) `text`; (0, 0) for empty text. The
  height counts lines, not the glyphs drawn, so bands of equal line counts line up."""
  if not text:
    return 0, 0
  from PIL import Image, ImageDraw

  draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
  width = draw.multiline_textbbox((0, 0), text, font=_font(size))[2]
  lines = "\n".join(["Hg"] * (text.count("\n") + 1))  # a capital's top, a descender's bottom
  return width, draw.multiline_textbbox((0, 0), lines, font=_font(size))[3]


def enlarge(images: np.ndarray, min_size: int) -> np.ndarray:
  """[..., H, W, C] -> tiles at least `min_size` high, enlarged by pixel repetition."""
  factor = max(1, -(-min_size // images.shape[-3]))
  return images.repeat(factor, axis=-3).repeat(factor, axis=-2)


def labelled_grid(
  rows: np.ndarray,
  row_labels=None,
  column_labels=None,
  title: str | None = None,
  *,
  cell_labels=None,
  min_size: int = 64,
  pad: int = 2,
  font_size: int = 12,
) -> np.ndarray:
  """uint8 [R, C, H, W, 3] -> one uint8 image [H', W', 3] on white: the title on top, column
  labels above the columns, row labels left of the rows, `cell_labels` ([R][C] strings, ""
  for none) under each tile. A label list may be None (no band); otherwise it needs one
  string per row (column)."""
  rows = np.asarray(rows)
  if rows.ndim != 5 or rows.shape[-1] != 3 or rows.dtype != np.uint8:
    raise ValueError(
      f"labelled_grid needs uint8 rows [R, C, H, W, 3], got {rows.dtype} {rows.shape}"
    )
  num_rows, num_columns = rows.shape[:2]
  _check_counts(row_labels, column_labels, cell_labels, num_rows, num_columns)
  tiles = enlarge(rows, min_size)  # [R, C, h, w, 3]
  h, w = tiles.shape[2:4]
  size = functools.partial(_text_size, size=font_size)
  columns = [size(t) for t in column_labels or [""] * num_columns]  # [C] (width, height)
  row_sizes = [size(t) for t in row_labels or [""] * num_rows]
  cells = [[size(t) for t in row] for row in cell_labels or [[""] * num_columns] * num_rows]
  caption = max((ch for row in cells for _, ch in row), default=0)
  caption = caption + MARGIN if caption else 0  # the band under each tile
  column_widths = [
    max([w, columns[c][0] + 2 * MARGIN] + [row[c][0] + 2 * MARGIN for row in cells])
    for c in range(num_columns)
  ]
  row_heights = [max(h + caption, th + 2 * MARGIN) for _, th in row_sizes]
  left = max(tw for tw, _ in row_sizes) + 2 * MARGIN if row_labels is not None else 0
  title_width, title_height = (size(title)[i] + 2 * MARGIN if title else 0 for i in (0, 1))
  header = max(th for _, th in columns) + 2 * MARGIN if column_labels is not None else 0
  x0 = np.cumsum([left] + [cw + pad for cw in column_widths])  # left edge of each column
  y0 = np.cumsum([title_height + header] + [rh + pad for rh in row_heights])  # top of each row
  canvas = np.full((y0[-1] - pad, max(x0[-1] - pad, title_width), 3), 255, np.uint8)
  texts = []  # (x, y, text, anchor): "la" the top-left corner, "ma" the middle of the top
  for r in range(num_rows):
    for c in range(num_columns):
      y, x = y0[r] + (row_heights[r] - h - caption) // 2, x0[c] + (column_widths[c] - w) // 2
      canvas[y : y + h, x : x + w] = tiles[r, c]
      if cell_labels is not None and cell_labels[r][c]:
        texts.append((x0[c] + column_widths[c] // 2, y + h + MARGIN // 2, cell_labels[r][c], "ma"))
  if title:
    texts.append((MARGIN, MARGIN, title, "la"))
  for c, label in enumerate(column_labels or []):
    texts.append((x0[c] + column_widths[c] // 2, title_height + MARGIN, label, "ma"))
  for r, label in enumerate(row_labels or []):
    texts.append((MARGIN, y0[r] + (row_heights[r] - row_sizes[r][1]) // 2, label, "la"))
  return _draw_texts(canvas, texts, font_size)


def _check_counts(row_labels, column_labels, cell_labels, num_rows: int, num_columns: int):
  for labels, count, what in (
    (row_labels, num_rows, "row"),
    (column_labels, num_columns, "column"),
  ):
    if labels is not None and len(labels) != count:
      raise ValueError(f"{len(labels)} {what} labels for {count} {what}s")
  if cell_labels is not None and [len(row) for row in cell_labels] != [num_columns] * num_rows:
    raise ValueError(f"cell labels must be {num_rows} rows of {num_columns} strings")


def _draw_texts(canvas: np.ndarray, texts, font_size: int) -> np.ndarray:
  from PIL import Image, ImageDraw

  image = Image.fromarray(canvas)
  draw = ImageDraw.Draw(image)
  for x, y, text, anchor in texts:
    draw.multiline_text(
      (int(x), int(y)),
      text,
      fill=(0, 0, 0),
      font=_font(font_size),
      anchor=anchor,
      align="center" if anchor == "ma" else "left",
    )
  return np.asarray(image)


def captioned_tiles(
  tiles: np.ndarray, captions, columns: int | None = None, title: str | None = None, **kwargs
) -> np.ndarray:
  """uint8 [N, H, W, 3] -> a grid of `columns` (default: square) with each tile's caption
  under it; the last row is filled with blank tiles. kwargs go to `labelled_grid`."""
  tiles = np.asarray(tiles)
  if len(captions) != len(tiles):
    raise ValueError(f"{len(captions)} captions for {len(tiles)} tiles")
  columns = columns or math.ceil(math.sqrt(len(tiles)))
  blanks = -len(tiles) % columns
  tiles = np.concatenate([tiles, np.full((blanks, *tiles.shape[1:]), 255, np.uint8)])
  captions = list(captions) + [""] * blanks
  rows = tiles.reshape(-1, columns, *tiles.shape[1:])  # [R, C, H, W, 3]
  cells = [captions[i : i + columns] for i in range(0, len(captions), columns)]
  return labelled_grid(rows, title=title, cell_labels=cells, **kwargs)
