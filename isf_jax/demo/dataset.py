"""The built-in worlds' latent datasets, and the statistics world's labelling thresholds.

A dataset goes through the same generation code as FFHQ's (`isf_jax.data.make`):
z -> W+ (psi, cutoff) -> image -> attribute probabilities -> labels by thresholds and
inversions. The faces world's thresholds are its classifiers' own; the statistics world's
are the medians of a separate calibration sample, so each attribute is balanced and the exact
classifier (`isf_jax.demo.ExactClassifier`) reads exactly the labels the dataset was built
with; they are recorded next to the dataset (`thresholds_path`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from isf_jax.demo.generator import demo_generator
from isf_jax.demo.statistics import DEMO_ATTRIBUTES, ExactClassifier, attribute_scores

CALIBRATION_SEED = 999_999
CALIBRATION_CODES = 2048
DATA_NAME = "statistics_latents"  # configs/statistics.py's config.data.name


def data_dir(workdir, configured: str = "") -> Path:
  """The dataset directory of a run: config.data.data_dir (`configured`), else WORKDIR/data."""
  return Path(configured or Path(workdir) / "data")


def thresholds_path(data_dir, data_name: str = DATA_NAME) -> Path:
  """Where `prepare_statistics_dataset` records the labelling thresholds of dataset `data_name`."""
  return Path(data_dir) / f"{data_name}_thresholds.json"


def recorded_classifier(data_dir, data_name: str = DATA_NAME) -> ExactClassifier:
  """The exact classifier with the thresholds recorded for the dataset in `data_dir`."""
  path = thresholds_path(data_dir, data_name)
  if not path.is_file():
    raise FileNotFoundError(
      f"no statistics-world thresholds at {path}: the dataset is made by "
      "`python -m isf_jax.train --config configs/statistics.py`"
    )
  return ExactClassifier(json.loads(path.read_text()))


def calibration_thresholds(sample_fn, score_fn, num_codes: int = CALIBRATION_CODES):
  """Per-attribute medians [4] of the scores of the calibration codes.

  sample_fn(seed, n) -> wp [n, L, C]; score_fn(wp) -> scores [n, 4] (`make.generator_fns`).
  """
  return np.median(score_fn(sample_fn(CALIBRATION_SEED, num_codes)), axis=0)


def prepare(config, workdir, generator, probability_fn, thresholds_fn, invert, attributes):
  """Generate and assemble a built-in world's latent dataset unless it already exists;
  returns the labelling thresholds [K] (None when it existed).

  generator: (config, variables); probability_fn(images [N, H, W, 3] in [-1, 1]) -> [N, K];
  thresholds_fn(sample_fn, label_fn) -> thresholds [K] (`make.generator_fns`' functions);
  labels are (p > threshold) XOR invert, as for NVIDIA's classifiers."""
  from isf_jax.data import make
  from isf_jax.data.pipeline import attribute_names

  directory = data_dir(workdir, config.data.data_dir)
  try:
    attribute_names(directory, config.data.name)
    return None
  except (FileNotFoundError, OSError, ValueError):
    pass
  sample_fn, label_fn = make.generator_fns(
    *generator,
    probability_fn,
    psi=config.data.psi,
    cutoff=config.data.cutoff,
    image_size=config.train.img_size,  # stored too, for config.train.source_image="dataset"
  )
  thresholds = thresholds_fn(sample_fn, label_fn)
  chunks = Path(workdir) / "data_chunks"
  for split, num in (("train", config.data.num_train), ("test", config.data.num_test)):
    make.generate_latents(
      sample_fn, label_fn, num, 512, chunks, seed=config.seed, split=split,
      thresholds=thresholds, invert=invert,
    )  # fmt: skip
  make.assemble(chunks, directory, config.data.name, list(attributes))
  return thresholds


def prepare_statistics_dataset(config, workdir) -> None:
  """The statistics world's dataset, thresholds at calibration medians (recorded beside it)."""
  thresholds = prepare(
    config,
    workdir,
    demo_generator(),
    attribute_scores,
    lambda sample_fn, label_fn: calibration_thresholds(sample_fn, lambda wp: label_fn(wp)[0]),
    False,
    DEMO_ATTRIBUTES,
  )
  if thresholds is not None:
    directory = data_dir(workdir, config.data.data_dir)
    thresholds_path(directory, config.data.name).write_text(json.dumps(thresholds.tolist()))


def demo_classifier(data=None, data_name: str = DATA_NAME, num_codes: int = 2048,
                    psi: float = 0.7, cutoff: int = 8):  # fmt: skip
  """The statistics world's exact attribute classifier, with the thresholds its dataset was
  labelled with: those recorded in the dataset directory `data` when there, else recomputed
  as `prepare_statistics_dataset` does (medians over its calibration codes; psi and cutoff as
  configs/statistics.py)."""
  if data is not None and thresholds_path(data, data_name).is_file():
    return recorded_classifier(data, data_name)
  from isf_jax.data import make

  gen_config, variables = demo_generator()
  sample_fn, score_fn = make.generator_fns(
    gen_config, variables, attribute_scores, psi=psi, cutoff=cutoff
  )
  scores_of = lambda wp: score_fn(wp)[0]  # noqa: E731
  return ExactClassifier(calibration_thresholds(sample_fn, scores_of, num_codes))
