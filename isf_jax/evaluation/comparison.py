"""The methods side by side on a few test codes: one labelled picture (the main job's).

Rows: the sources, then for each attribute one row per method with that attribute flipped
(the others asked to keep the source's labels); columns: the test codes. Under each edited
image, the flip it asks for ("0 -> 1")."""

from __future__ import annotations

import jax
import numpy as np

from isf_jax import figures, images


def comparison_figure(methods, render, wp, labels, attributes, title: str, seed: int = 0):
  """uint8 [H, W, 3] of methods (`protocol.Method`) editing codes wp [S, L, C] with labels
  [S, K] (0/1), rendered by render(wp) -> [S, R, R, 3] in [-1, 1]."""
  labels = np.asarray(labels, np.float32)
  num_codes, num_attributes = labels.shape
  rows, row_labels, cell_labels = [render(wp)], ["source"], [[""] * num_codes]
  for k, name in enumerate(attributes):
    targets = labels.copy()
    targets[:, k] = 1 - labels[:, k]
    asked = np.zeros_like(labels)
    asked[:, k] = 1
    flips = [f"{int(v)} -> {1 - int(v)}" for v in labels[:, k]]
    for method in methods:
      key = jax.random.fold_in(jax.random.key(seed), k)
      rows.append(render(method.edit(wp, targets, asked, key)))
      row_labels.append(f"{method.name}: flip {name}")
      cell_labels.append(flips)
  grid = images.to_uint8(np.stack([np.asarray(r) for r in rows]))  # [rows, S, R, R, 3]
  columns = [f"test {i}" for i in range(num_codes)]
  return figures.labelled_grid(grid, row_labels, columns, title, cell_labels=cell_labels)
