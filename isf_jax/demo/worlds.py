"""The built-in worlds: generators that need no download, with their latent datasets and
attribute classifiers.

  "faces"       the demo world (configs/demo.py): a StyleGAN2 trained in JAX on procedural
                face drawings (`isf_jax.demo.faces`), six named attributes read by trained
                classifiers in NVIDIA's classifier format, as FFHQ's are.
  "statistics"  a fast fixture (configs/statistics.py): a random-weight StyleGAN2 whose four
                attributes are exact image statistics, binarised at calibration medians.

A generator spec naming a world (`isf_jax.load_generator("faces")`) reads its generator; the
trainer makes its latent dataset when missing, and the evaluator, editor and web app read
sources' attributes with its classifier.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from isf_jax.demo import faces, statistics


@dataclasses.dataclass(frozen=True)
class World:
  """name: the generator spec (`isf_jax.load_generator(name)`); attributes: the
  classifier's, in order; prepare_dataset(config, workdir): make the latent dataset unless it
  exists; classifier(dataset directory or None, dataset name or None) ->
  images [N, H, W, 3] in [-1, 1] -> int labels [N, K] (the rule that dataset was labelled
  with); describes: the classifier, for tables."""

  name: str
  attributes: tuple[str, ...]
  prepare_dataset: Callable
  classifier: Callable
  describes: str


def _faces_dataset(config, workdir) -> None:
  from isf_jax.demo import classifier, dataset
  from isf_jax.generators import read_generator

  _, thresholds, invert = classifier.load()
  dataset.prepare(
    config, workdir, read_generator("faces"), classifier.face_probabilities,
    lambda sample_fn, label_fn: thresholds, invert, faces.ATTRIBUTES,
  )  # fmt: skip


def _faces_classifier(data=None, data_name=None):
  from isf_jax.demo import classifier

  return classifier.face_labels  # its own thresholds: the same for every dataset


def _statistics_dataset(config, workdir) -> None:
  from isf_jax.demo import dataset

  dataset.prepare_statistics_dataset(config, workdir)


def _statistics_classifier(data=None, data_name=None):
  from isf_jax.demo import dataset

  return dataset.demo_classifier(data, data_name or dataset.DATA_NAME)


WORLDS = {
  "faces": World(
    "faces",
    faces.ATTRIBUTES,
    _faces_dataset,
    _faces_classifier,
    "the faces world's trained attribute classifiers (isf_jax/demo/assets/classifiers)",
  ),
  "statistics": World(
    "statistics",
    statistics.DEMO_ATTRIBUTES,
    _statistics_dataset,
    _statistics_classifier,
    "the statistics world's exact classifier (training-set medians)",
  ),
}


def world(spec) -> World | None:
  """The world a generator spec names, or None for a path."""
  return WORLDS.get(spec) if isinstance(spec, str) else None
