"""Fixed-seed sample grids of a run: the sources, then one row per attribute with that
attribute flipped, translated by the EMA ISF with fixed noise."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from isf_jax import images


def make_sampler(nets, config, frozen, wp, labels):
  """(state, path) -> writes the grid for codes wp [S, L, C] with labels [S, K]."""

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
    return jnp.concatenate(out)  # [(1 + K) * S, R, R, 3]

  def write(state, path):
    grid = images.to_uint8(rows(state.isf_ema_params, frozen))
    images.save_png(path, images.make_grid(grid, columns=wp.shape[0]))

  return write
