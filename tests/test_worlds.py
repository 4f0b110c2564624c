"""The built-in worlds: names, attributes as their configs say, the faces world's classifier."""

import jax
import numpy as np

from configs import demo, statistics
from isf_jax import generators
from isf_jax.demo import faces
from isf_jax.demo.worlds import WORLDS, world


def test_world_names_are_the_generator_specs_and_match_their_configs():
  assert set(WORLDS) == set(generators.BUILTIN)
  for module in (demo, statistics):
    config = module.get_config()
    assert generators.is_builtin(config.generator.ckpt)
    assert world(config.generator.ckpt).attributes == tuple(config.data.attributes)
  assert world("runs/some/checkpoint") is None and not generators.is_builtin("runs/x")


def test_faces_classifier_reads_the_faces_generator_and_the_renderer():
  config, variables = generators.read_generator("faces")
  model = generators.generator_module(config)
  z = np.random.default_rng(0).standard_normal((4, config.z_dim)).astype(np.float32)
  wp = model.apply(variables, z, 1.0, None, method="map")
  images = np.asarray(jax.jit(lambda w: model.apply(variables, w, method="synthesize"))(wp))
  labels = world("faces").classifier()(images)
  assert labels.shape == (4, len(faces.ATTRIBUTES)) and set(np.unique(labels)) <= {0, 1}
  rendered, truth = faces.render(np.arange(16), 32)  # uint8 renders, exact labels
  read = world("faces").classifier()(rendered.astype(np.float32) / 127.5 - 1)
  np.testing.assert_array_equal(read, truth)
