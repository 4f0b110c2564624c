"""The demo world's latent dataset (configs/demo.py) and the thresholds it was labelled with.

The dataset goes through the same generation code as FFHQ (`isf_jax.data.make`):
z -> W+ (psi, cutoff) -> image -> attribute scores -> labels. The thresholds are the medians
of a separate calibration sample, so each attribute is balanced and the exact classifier
(`isf_jax.demo.ExactClassifier`) reads exactly the labels the dataset was built with. They
are recorded next to the dataset (`thresholds_path`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from isf_jax.demo.generator import demo_generator
from isf_jax.demo.statistics import DEMO_ATTRIBUTES, ExactClassifier, attribute_scores

CALIBRATION_SEED = 999_999
CALIBRATION_CODES = 2048
DATA_NAME = "demo_latents"  # configs/demo.py's config.data.name


def data_dir(workdir, configured: str = "") -> Path:
  """The dataset directory of a run: config.data.data_dir (`configured`), else WORKDIR/data."""
  return Path(configured or Path(workdir) / "data")


def thresholds_path(data_dir, data_name: str = DATA_NAME) -> Path:
  """Where `prepare_dataset` records the labelling thresholds of dataset `data_name`."""
  return Path(data_dir) / f"{data_name}_thresholds.json"


def recorded_classifier(data_dir, data_name: str = DATA_NAME) -> ExactClassifier:
  """The exact classifier with the thresholds recorded for the dataset in `data_dir`."""
  path = thresholds_path(data_dir, data_name)
  if not path.is_file():
    raise FileNotFoundError(
      f"no demo thresholds at {path}: the demo dataset is made by "
      "`python -m isf_jax.train --config configs/demo.py`"
    )
  return ExactClassifier(json.loads(path.read_text()))


def calibration_thresholds(sample_fn, score_fn, num_codes: int = CALIBRATION_CODES):
  """Per-attribute medians [4] of the scores of the calibration codes.

  sample_fn(seed, n) -> wp [n, L, C]; score_fn(wp) -> scores [n, 4] (`make.generator_fns`).
  """
  return np.median(score_fn(sample_fn(CALIBRATION_SEED, num_codes)), axis=0)


def prepare_dataset(config, workdir) -> None:
  """Generate and assemble the demo latent dataset unless it already exists."""
  from isf_jax.data import make
  from isf_jax.data.pipeline import attribute_names

  directory = data_dir(workdir, config.data.data_dir)
  try:
    attribute_names(directory, config.data.name)
    return
  except (FileNotFoundError, OSError, ValueError):
    pass
  gen_config, variables = demo_generator()
  sample_fn, score_fn = make.generator_fns(
    gen_config,
    variables,
    attribute_scores,
    psi=config.data.psi,
    cutoff=config.data.cutoff,
    image_size=config.train.img_size,  # stored too, for config.train.source_image="dataset"
  )
  thresholds = calibration_thresholds(sample_fn, lambda wp: score_fn(wp)[0])
  chunks = Path(workdir) / "data_chunks"
  for split, num in (("train", config.data.num_train), ("test", config.data.num_test)):
    make.generate_latents(
      sample_fn, score_fn, num, 512, chunks, seed=config.seed, split=split, thresholds=thresholds
    )
  make.assemble(chunks, directory, config.data.name, list(DEMO_ATTRIBUTES))
  thresholds_path(directory, config.data.name).write_text(json.dumps(thresholds.tolist()))


def demo_classifier(workdir=None, num_codes: int = 2048, psi: float = 0.7, cutoff: int = 8):
  """The demo world's exact attribute classifier, with the thresholds the demo dataset was
  labelled with: those a demo training run recorded in `workdir` (its default data
  directory), else recomputed as `isf_jax.demo.prepare_dataset` does (medians over its
  calibration codes; psi and cutoff as configs/demo.py)."""
  if workdir is not None and thresholds_path(data_dir(workdir)).is_file():
    return recorded_classifier(data_dir(workdir))
  from isf_jax.data import make
  from isf_jax.generators import DEMO, read_generator

  gen_config, variables = read_generator(DEMO)  # cached: built once per process
  sample_fn, score_fn = make.generator_fns(
    gen_config, variables, attribute_scores, psi=psi, cutoff=cutoff
  )
  scores_of = lambda wp: score_fn(wp)[0]  # noqa: E731
  return ExactClassifier(calibration_thresholds(sample_fn, scores_of, num_codes))
