"""The evaluation harness: hand-checkable metrics with stand-in networks, resume, bad input,
and the whole command on the demo world (ISF against InterFaceGAN)."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from isf_jax import evaluate
from isf_jax.metrics import fid

C, SIZE = 4, 8
RNG = np.random.default_rng(0)
MIX = jnp.asarray(RNG.normal(size=(C, SIZE * SIZE * 3)) * 0.1 + 1.0 / C, jnp.float32)


def linear_render(wp):  # [B, L, C] -> [B, 8, 8, 3], linear so interpolations are even
  return (wp.mean(axis=1) @ MIX).reshape(-1, SIZE, SIZE, 3)


def stand_in_networks():
  return evaluate.MetricNetworks(
    lpips=lambda a, b: jnp.abs(a - b).mean(axis=(1, 2, 3)),
    lpips_vgg=lambda a, b: jnp.square(a - b).mean(axis=(1, 2, 3)),
    inception=lambda x: np.asarray(x).reshape(len(x), -1)[:, :16],
    arcface=lambda x: np.asarray(x).reshape(len(x), -1),
    classifier=lambda x: (np.asarray(x).mean(axis=(1, 2, 3)) > 0).astype(np.int64)[:, None],
    notes={"all": "stand-ins"},
  )


def shift_method(stochastic=False):
  def edit(wp, targets, k, key):
    sign = 2.0 * targets[:, k] - 1.0
    noise = 0.5 * jax.random.normal(key, wp.shape) if stochastic else 0.0
    return wp + 5.0 * sign[:, None, None] + noise

  return evaluate.Method("noisy" if stochastic else "shift", edit)


IDENTITY = evaluate.Method("identity", lambda wp, targets, k, key: wp)
PROTOCOL = evaluate.Protocol(
  num_test=6, diversity_inputs=6, diversity_samples=3, num_frames=5, batch_size=4, ppl_crop=False
)


def _data():
  wp = RNG.normal(size=(7, 2, C)).astype(np.float32)
  labels = (linear_render(jnp.asarray(wp)).mean(axis=(1, 2, 3)) > 0).astype(np.float32)[:, None]
  return wp, np.asarray(labels)


def _reference(wp):
  features = stand_in_networks().inception(linear_render(jnp.asarray(wp[:6])))
  return fid.feature_statistics(features)


def test_harness_metrics_by_hand(tmp_path):
  wp, labels = _data()
  methods = [IDENTITY, shift_method(), shift_method(stochastic=True)]
  results = evaluate.run_evaluation(
    methods, linear_render, stand_in_networks(), wp, labels, ["a"], PROTOCOL, tmp_path,
    reference_stats=_reference(wp),
  )  # fmt: skip
  ident = results["methods"]["identity"]["attributes"]["a"]
  for direction in ("to1", "to0"):
    row = ident[direction]
    assert row["count"] == 6
    assert row["lpips"] == 0 and row["pir"] == 0 and row["path_lpips"] == 0 and row["ppl"] == 0
    assert row["frs"] == pytest.approx(1.0)
  assert ident["to1"]["fid"] == pytest.approx(0.0, abs=1e-4)  # the reference set itself
  source_positive = labels[:6, 0].mean()
  assert ident["to1"]["acc"] == pytest.approx(source_positive)
  assert ident["to0"]["acc"] == pytest.approx(1 - source_positive)
  assert ident["to1"]["acc_flipped"] == 0.0

  shift = results["methods"]["shift"]["attributes"]["a"]
  for direction in ("to1", "to0"):
    row = shift[direction]
    assert row["acc"] == 1.0 and row["lpips"] == 0.0  # deterministic
    assert row["pir"] == pytest.approx(0.0, abs=1e-3)  # a linear path: equal steps
    step = float(jnp.abs(5.0 * MIX.sum(axis=0)).mean())  # |I(w') - I(w)|, any code
    assert row["path_lpips"] == pytest.approx(step / 4, rel=1e-4)  # 5 frames, 4 steps
    assert row["ppl"] == pytest.approx(float(jnp.square(5.0 * MIX.sum(axis=0)).mean()), rel=2e-2)
    assert row["fid"] > 1.0
  assert results["methods"]["noisy"]["attributes"]["a"]["to1"]["lpips"] > 0.05
  assert results["methods"]["shift"]["mean"]["acc"] == 1.0

  md = (tmp_path / "results.md").read_text()
  assert "## Table I" in md and "## Table II" in md and "| shift | a | to0 |" in md
  assert json.loads((tmp_path / "results.json").read_text())["networks"] == {"all": "stand-ins"}


def test_rerun_resumes_from_partial_results(tmp_path):
  wp, labels = _data()
  args = ([shift_method()], linear_render, stand_in_networks(), wp, labels, ["a"])
  first = evaluate.run_evaluation(*args, PROTOCOL, tmp_path, reference_stats=_reference(wp))
  assert sorted(p.name for p in (tmp_path / "partial" / "shift").iterdir()) == [
    "a_to0.npz", "a_to1.npz"
  ]  # fmt: skip

  def exploding_render(wp):
    raise AssertionError("a finished direction was computed again")

  again = evaluate.run_evaluation(
    [shift_method()], exploding_render, *args[2:], PROTOCOL, tmp_path,
    reference_stats=_reference(wp),
  )  # fmt: skip
  assert again == first
  (tmp_path / "partial" / "shift" / "a_to0.npz").unlink()
  with pytest.raises(AssertionError, match="computed again"):
    evaluate.run_evaluation(
      [shift_method()], exploding_render, *args[2:], PROTOCOL, tmp_path,
      reference_stats=_reference(wp),
    )  # fmt: skip
  changed = evaluate.Protocol(**{**PROTOCOL.__dict__, "seed": 1})
  evaluate.run_evaluation(*args, changed, tmp_path, reference_stats=_reference(wp))


def test_too_few_test_codes_and_unknown_attributes(tmp_path):
  wp, labels = _data()
  with pytest.raises(ValueError, match="test split has 7 codes .* --num_test=1000"):
    evaluate.run_evaluation(
      [IDENTITY], linear_render, stand_in_networks(), wp, labels, ["a"], evaluate.Protocol(),
      tmp_path,
    )  # fmt: skip
  with pytest.raises(ValueError, match="unknown attributes"):
    evaluate.run_evaluation(
      [IDENTITY], linear_render, stand_in_networks(), wp, labels, ["a"], PROTOCOL, tmp_path,
      evaluate_attributes=["b"],
    )  # fmt: skip
