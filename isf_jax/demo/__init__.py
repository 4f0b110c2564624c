"""The demo world: a random-weight StyleGAN2 (`generator`), attributes that are exact image
statistics with their classifier (`statistics`), and its latent dataset (`dataset`)."""

from isf_jax.demo.dataset import (
  demo_classifier,
  prepare_dataset,
  recorded_classifier,
  thresholds_path,
)
from isf_jax.demo.generator import demo_generator, demo_generator_config
from isf_jax.demo.statistics import DEMO_ATTRIBUTES, ExactClassifier, attribute_scores

__all__ = [
  "DEMO_ATTRIBUTES",
  "ExactClassifier",
  "attribute_scores",
  "demo_classifier",
  "demo_generator",
  "demo_generator_config",
  "prepare_dataset",
  "recorded_classifier",
  "thresholds_path",
]
