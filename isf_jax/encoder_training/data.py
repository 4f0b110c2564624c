"""What the encoder step is fed besides its own draws: real photos to mix in (optional).

Rendered pairs are drawn inside the step (`step.sample_pairs`); a folder of real photos
(config.data.real_dir: every PNG/JPEG in it, centre-cropped and resized to the generator's
resolution once, kept in memory) replaces a fraction config.data.real_fraction of each batch.
Which photos and which batch slots are drawn from (seed, step) alone, so a resumed run is fed
what an uninterrupted one was: there is no input position to save.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

PHOTO_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def read_photo_folder(directory, resolution: int) -> np.ndarray:
  """Every photo in `directory` -> [M, R, R, 3] float32 in [-1, 1]."""
  from isf_jax.inversion import fit_square
  from isf_jax.photos import load_photo

  directory = Path(directory)
  if not directory.is_dir():
    raise FileNotFoundError(f"real photo folder {directory} does not exist")
  paths = sorted(p for p in directory.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
  if not paths:
    raise ValueError(f"real photo folder {directory} has no {'/'.join(PHOTO_SUFFIXES)} files")
  return np.stack([fit_square(load_photo(p), resolution) for p in paths])


class RealPhotoFeed:
  """batch(step) -> {"real" [N, R, R, 3], "use_real" [N] in {0, 1}}, or {} without photos."""

  def __init__(self, photos: np.ndarray | None, fraction: float, batch_size: int, seed: int):
    if photos is not None and not 0 < fraction <= 1:
      raise ValueError(f"data.real_fraction must be in (0, 1] with real photos, got {fraction}")
    self.photos, self.batch_size, self.seed = photos, batch_size, seed
    self.count = 0 if photos is None else round(fraction * batch_size)

  def batch(self, step: int) -> dict:
    if self.photos is None:
      return {}
    draw = np.random.default_rng([self.seed, step])
    chosen = draw.integers(len(self.photos), size=self.batch_size)
    use_real = np.zeros(self.batch_size, np.float32)
    use_real[draw.permutation(self.batch_size)[: self.count]] = 1
    return {"real": self.photos[chosen], "use_real": use_real}


def open_feed(config, resolution: int) -> RealPhotoFeed:
  photos = None
  if config.data.real_dir:
    photos = read_photo_folder(config.data.real_dir, resolution)
  return RealPhotoFeed(photos, config.data.real_fraction, config.global_batch_size, config.seed)


def held_out_renders(generator_config, generator_variables, num: int, seed: int, psi: float):
  """Photos training never saw: (codes W+ [num, L, C], renders [num, R, R, 3] in [-1, 1]).

  z from numpy's RandomState(seed) (training draws from jax.random: another stream), rendered
  with fresh random noise maps and rounded to 8 bits, as a photo read from a PNG is.
  """
  import jax

  from isf_jax import images
  from isf_jax.generators import generator_module

  generator = generator_module(generator_config)
  z = np.random.RandomState(seed).randn(num, generator_config.z_dim).astype(np.float32)

  @jax.jit
  def render(variables, z, key):
    wp = generator.apply(variables, z, psi, method="map")
    return wp, generator.apply(variables, wp, noise_mode="random", rng=key, method="synthesize")

  wp, rendered = render(generator_variables, z, jax.random.PRNGKey(seed))
  photos = images.to_uint8(np.asarray(rendered)).astype(np.float32) / 127.5 - 1.0
  return np.asarray(wp), photos
