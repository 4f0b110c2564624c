"""Sample grids of an encoder run: fixed held-out renders (one per row) and the encoder's
reconstruction beside each, labelled "input" | "reconstruction", the step in the title."""

from __future__ import annotations

import jax
import numpy as np

from isf_jax import figures, images
from isf_jax.encoder_training import data, step


def make_sampler(nets: step.Networks, frozen, generator_config, seed: int, num: int):
  """(state, path) -> writes the grid for `num` held-out renders of `seed`."""
  generator_variables = jax.device_get(frozen["generator"])
  _, photos = data.held_out_renders(generator_config, generator_variables, num, seed, nets.cfg.psi)

  @jax.jit
  def reconstructions(variables, frozen, photos):
    return step.reconstruct(nets, frozen, step.encode(nets, variables, photos))

  def write(state, path):
    recon = np.asarray(reconstructions(state.variables(), frozen, photos))
    grid = images.to_uint8(np.stack([photos, recon], axis=1))  # [S, 2, R, R, 3]
    title = f"step {int(state.step)}: held-out renders"
    figure = figures.labelled_grid(grid, None, ["input", "reconstruction"], title)
    images.save_png(path, figure)

  return write
