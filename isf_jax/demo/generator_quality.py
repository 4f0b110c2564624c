"""How well a generator trained on the faces world shows its attributes.

Samples the generator (psi, const noise), labels the samples with the faces world's attribute
classifiers (`isf_jax.demo.classifier`), and reports each attribute's state frequencies; the
generator's samples carry no ground truth, so the classifier's accuracy on them cannot be
measured, only how often it sees each state. `labelled_grid` draws, per attribute, samples the
classifier calls present next to samples it calls absent, with the attribute's name.
"""

from __future__ import annotations

import jax
import numpy as np

from isf_jax import figures
from isf_jax import images as image_io
from isf_jax.demo import classifier, faces
from isf_jax.stylegan2.networks import Generator

TILE = 96  # pixels per sample in the grid (nearest-neighbour enlarged)


def sample(config, variables, num: int, seed: int = 0, psi: float = 1.0, batch: int = 256):
  """float32 images [num, R, R, 3] in [-1, 1] from z ~ N(0, I) (numpy default_rng(seed))."""
  model = Generator(config)
  render = jax.jit(lambda v, z: model.apply(v, z, psi, noise_mode="const"))
  z = np.random.default_rng(seed).standard_normal((num, config.z_dim), np.float32)
  return np.concatenate(
    [np.asarray(render(variables, z[i : i + batch])) for i in range(0, num, batch)]
  )


def frequencies(labels) -> dict:
  """{attribute: fraction of samples in state 1} for int labels [N, K]."""
  return {name: float(np.mean(labels[:, k])) for k, name in enumerate(faces.ATTRIBUTES)}


def labelled_grid(samples, labels, per_side: int = 6) -> np.ndarray:
  """uint8 grid: one row per attribute, `per_side` samples with it ("yes"), then `per_side`
  without ("no"); a blank tile where fewer samples have that state."""
  tiles = image_io.to_uint8(samples)  # [N, R, R, 3]
  blank = np.full_like(tiles[0], 255)
  rows = []
  for k in range(len(faces.ATTRIBUTES)):
    row = []
    for state in (1, 0):
      picked = [tiles[i] for i in np.flatnonzero(labels[:, k] == state)[:per_side]]
      row += picked + [blank] * (per_side - len(picked))
    rows.append(np.stack(row))
  columns = ["yes"] * per_side + ["no"] * per_side
  title = "generator samples the attribute classifier calls yes / no"
  return figures.labelled_grid(
    np.stack(rows), list(faces.ATTRIBUTES), columns, title, min_size=TILE
  )


def measure(config, variables, num: int = 2048, seed: int = 0, psi: float = 1.0, root=None):
  """(samples [N, R, R, 3], int labels [N, K], frequencies) of `num` samples."""
  samples = sample(config, variables, num, seed, psi)
  labels = np.concatenate(
    [classifier.face_labels(samples[i : i + 512], root) for i in range(0, num, 512)]
  )
  return samples, labels, frequencies(labels)
