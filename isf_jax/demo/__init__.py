"""The built-in worlds (`worlds`): the faces world, the demo world of configs/demo.py
(`faces` renders it, `classifier` reads it, `assets/` holds its trained generator and
classifiers), and the statistics world, the tests' fast fixture (`generator`, `statistics`);
their latent datasets (`dataset`)."""

from isf_jax.demo.dataset import demo_classifier, recorded_classifier, thresholds_path
from isf_jax.demo.generator import demo_generator, demo_generator_config
from isf_jax.demo.statistics import DEMO_ATTRIBUTES, ExactClassifier, attribute_scores
from isf_jax.demo.worlds import WORLDS, World, world

__all__ = [
  "DEMO_ATTRIBUTES",
  "WORLDS",
  "ExactClassifier",
  "World",
  "attribute_scores",
  "demo_classifier",
  "demo_generator",
  "demo_generator_config",
  "recorded_classifier",
  "thresholds_path",
  "world",
]
