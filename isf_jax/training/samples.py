"""Fixed-seed sample grids of a run: the sources, then one row per attribute with that
attribute flipped, translated by the EMA ISF with fixed noise. The grid is labelled: the step
in the title, the test code's index above each column, "flip ATTR" left of each row and the
flip each sample asks for ("0 -> 1") under it (every source flips its own value)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from isf_jax import figures, images


def make_sampler(nets, config, frozen, wp, labels):
  """(state, path) -> writes the grid for codes wp [S, L, C] with labels [S, K]."""
  attributes = list(config.data.attributes)

  @jax.jit
  def rows(isf_params, frozen):
    render = lambda w: nets.generator.apply(  # noqa: E731
      frozen["generator"], w, noise_mode="const", method="synthesize"
    )
    out = [render(wp)]
    for k in range(labels.shape[1]):
      targets = labels.at[:, k].set(1 - labels[:, k])
      noise = jax.random.normal(jax.random.PRNGKey(k), (wp.shape[0], config.train.noise_dim))
      out.append(render(nets.isf.apply({"params": isf_params}, wp, noise, targets)))
    return jnp.stack(out)  # [1 + K, S, R, R, 3]

  source_values = np.asarray(labels).round().astype(int)  # [S, K]
  row_labels = ["source"] + [f"flip {name}" for name in attributes]
  column_labels = [f"test {i}" for i in range(wp.shape[0])]
  flips = [[f"{v} -> {1 - v}" for v in source_values[:, k]] for k in range(len(attributes))]
  cell_labels = [[""] * wp.shape[0]] + flips

  def write(state, path):
    grid = images.to_uint8(rows(state.isf_ema_params, frozen))
    title = f"step {int(state.step)}: EMA ISF on test codes"
    figure = figures.labelled_grid(grid, row_labels, column_labels, title, cell_labels=cell_labels)
    images.save_png(path, figure)

  return write
