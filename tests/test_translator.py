"""The editing API: masks, determinism, noise, names, shapes (statistics generator, random ISF)."""

import dataclasses

import numpy as np
import pytest

from isf_jax.demo import DEMO_ATTRIBUTES
from isf_jax.layers import layer_mask
from isf_jax.translator import FFHQ_ATTRIBUTES, Translator
from tests.helpers.editing import make_isf_checkpoint

LABELS = [0, 1, 0, 1]


@pytest.fixture(scope="module")
def isf_path(tmp_path_factory):
  return make_isf_checkpoint(tmp_path_factory.mktemp("isf") / "isf")


@pytest.fixture(scope="module")
def translator(isf_path):
  return Translator.load(isf=isf_path, batch_size=4)


@pytest.fixture(scope="module")
def wp():
  return np.random.RandomState(0).randn(5, 8, 64).astype(np.float32)


def test_layer_mask_keeps_exactly_unselected_layers(translator, wp):
  out = translator.translate(wp, {"bright": 1}, num_samples=2, layers="2-3,6", source_labels=LABELS)
  assert out.shape == (5, 2, 8, 64)
  changed = np.abs(out - wp[:, None]).max(axis=(0, 1, 3))
  np.testing.assert_array_equal(changed == 0, [True, True, False, False, True, True, False, True])


def test_same_seed_same_output_independent_of_batching(translator, wp):
  a = translator.translate(wp, {"warm": 0, "bright": 1}, 3, seed=7, source_labels=LABELS)
  smaller_batches = dataclasses.replace(translator, batch_size=2)
  b = smaller_batches.translate(wp, {"warm": 0, "bright": 1}, 3, seed=7, source_labels=LABELS)
  np.testing.assert_allclose(a, b, atol=1e-5)  # matmul order varies with batch size
  np.testing.assert_array_equal(
    a, translator.translate(wp, {"warm": 0, "bright": 1}, 3, seed=7, source_labels=LABELS)
  )
  c = translator.translate(wp, {"warm": 0, "bright": 1}, 3, seed=8, source_labels=LABELS)
  assert np.abs(a - c).min(axis=(2, 3)).min() > 0  # every sample changes with the seed
  # different noise draws give different samples of one input
  assert np.abs(a[:, 0] - a[:, 1]).max(axis=(1, 2)).min() > 1e-3


def test_targets_reach_the_isf_labels(translator, wp):
  # a target equal to the source label is the same edit as naming no change of it
  given = translator.translate(wp, {"bright": 1}, source_labels=[1, 1, 0, 1])
  full = translator.translate(wp, {"bright": 1, "warm": 1, "top_heavy": 0, "contrasty": 1})
  np.testing.assert_allclose(given, full, atol=1e-6)
  other = translator.translate(wp, {"bright": 0}, source_labels=[1, 1, 0, 1])
  assert np.abs(given - other).max() > 1e-3


def test_w_input_broadcasts_and_render_shape(translator, wp):
  w = wp[:2, 0]
  out = translator.translate(w, {"bright": 1}, source_labels=LABELS)
  direct = translator.translate(np.repeat(w[:, None], 8, 1), {"bright": 1}, source_labels=LABELS)
  np.testing.assert_array_equal(out, direct)
  images = translator.render(out)
  assert images.shape == (2, 1, 32, 32, 3) and np.isfinite(images).all()
  np.testing.assert_allclose(images[:, 0], translator.render(out[:, 0]), atol=1e-6)


def test_interpolate_runs_from_source_to_translation(translator, wp):
  frames = translator.interpolate(wp[:2], {"bright": 1}, num_frames=5, seed=3, source_labels=LABELS)
  target = translator.translate(wp[:2], {"bright": 1}, seed=3, source_labels=LABELS)[:, 0]
  np.testing.assert_array_equal(frames[:, 0], wp[:2])
  np.testing.assert_allclose(frames[:, -1], target, atol=1e-5)
  np.testing.assert_allclose(frames[:, 2], (wp[:2] + target) / 2, atol=1e-5)


def test_classifier_supplies_missing_source_labels(isf_path, wp):
  calls = []

  def classifier(images):
    calls.append(images.shape)
    return np.tile(LABELS, (len(images), 1))

  with_classifier = Translator.load(isf=isf_path, classifier=classifier, batch_size=4)
  out = with_classifier.translate(wp, {"bright": 1})
  assert calls == [(5, 32, 32, 3)]
  np.testing.assert_array_equal(
    out, with_classifier.translate(wp, {"bright": 1}, source_labels=LABELS)
  )


@pytest.mark.parametrize(
  "call,message",
  [
    (lambda t, wp: t.translate(wp, {"smile": 1}, source_labels=LABELS), "valid: ['bright'"),
    (lambda t, wp: t.translate(wp, {"bright": 2}, source_labels=LABELS), "must be 0 or 1"),
    (lambda t, wp: t.translate(wp, {"bright": 1}), "source_labels"),
    (lambda t, wp: t.translate(wp[:, :6], {"bright": 1}, source_labels=LABELS), "W+ [N, 8, 64]"),
    (lambda t, wp: t.translate(wp[..., :32], {"bright": 1}, source_labels=LABELS), "W [N, 64]"),
    (lambda t, wp: t.translate(wp, {"bright": 1}, source_labels=[0, 1]), "source labels must"),
    (lambda t, wp: t.translate(wp, {"bright": 1}, layers="preset", source_labels=LABELS), "preset"),
    (lambda t, wp: t.translate(wp, {"bright": 1}, layers=[9], source_labels=LABELS), "0-7"),
  ],
)
def test_bad_input(translator, wp, call, message):
  with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("+", r"\+")):
    call(translator, wp)


def test_official_presets_and_default_names(tmp_path):
  mask = layer_mask("preset", ["glasses", "expression"], 18)
  np.testing.assert_array_equal(np.flatnonzero(mask), [2, 3, 4, 5])
  np.testing.assert_array_equal(np.flatnonzero(layer_mask("preset", ["gender"], 18)), range(8))
  unnamed = make_isf_checkpoint(tmp_path / "unnamed", named=False)
  assert Translator.load(isf=unnamed).attributes == FFHQ_ATTRIBUTES
  assert Translator.load(isf=unnamed, attributes=DEMO_ATTRIBUTES).attributes == DEMO_ATTRIBUTES
  # without names only 4 slots have a default (the official FFHQ order)
  with pytest.raises(ValueError, match="pass attributes"):
    Translator._attribute_names(None, None, 3)
  assert Translator._attribute_names(["x", "y", "z"], None, 3) == ("x", "y", "z")
  with pytest.raises(ValueError, match="need 3 distinct attribute names"):
    Translator._attribute_names(["x", "x", "z"], None, 3)
  with pytest.raises(FileNotFoundError, match="no ISF checkpoint"):
    Translator.load(isf=tmp_path / "missing")


def test_w_space_isf(tmp_path, wp):
  t = Translator.load(isf=make_isf_checkpoint(tmp_path / "w", latent="w"), batch_size=4)
  out = t.translate(wp[:3, 0], {"bright": 1}, num_samples=2, source_labels=LABELS)
  assert out.shape == (3, 2, 8, 64)
  np.testing.assert_array_equal(out, np.broadcast_to(out[:, :, :1], out.shape))  # one W
  assert np.abs(out[:, 0, 0] - wp[:3, 0]).max() > 1e-3
  with pytest.raises(ValueError, match="this ISF edits W"):
    t.translate(wp[:3], {"bright": 1}, source_labels=LABELS)  # a mixed W+
