"""The evaluation harness: hand-checkable metrics with stand-in networks, resume, bad input,
and the whole command on the statistics world (ISF against InterFaceGAN)."""

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from isf_jax import evaluation
from isf_jax.evaluation import combinations, report
from isf_jax.evaluation.harness import Harness, kept_fraction
from isf_jax.metrics import fid

C, SIZE = 4, 8
RNG = np.random.default_rng(0)
MIX = jnp.asarray(RNG.normal(size=(C, SIZE * SIZE * 3)) * 0.1 + 1.0 / C, jnp.float32)


def linear_render(wp):  # [B, L, C] -> [B, 8, 8, 3], linear so interpolations are even
  return (wp.mean(axis=1) @ MIX).reshape(-1, SIZE, SIZE, 3)


def stand_in_networks():
  return evaluation.MetricNetworks(
    lpips=lambda a, b: jnp.abs(a - b).mean(axis=(1, 2, 3)),
    lpips_vgg=lambda a, b: jnp.square(a - b).mean(axis=(1, 2, 3)),
    inception=lambda x: np.asarray(x).reshape(len(x), -1)[:, :16],
    arcface=lambda x: np.asarray(x).reshape(len(x), -1),
    classifier=lambda x: (np.asarray(x).mean(axis=(1, 2, 3)) > 0).astype(np.int64)[:, None],
    notes={"all": "stand-ins"},
  )


def shift_method(stochastic=False):
  def edit(wp, targets, asked, key):
    sign = jnp.sum(asked * (2.0 * targets - 1.0), axis=1)  # [B]: the one attribute asked
    noise = 0.5 * jax.random.normal(key, wp.shape) if stochastic else 0.0
    return wp + 5.0 * sign[:, None, None] + noise

  return evaluation.Method("noisy" if stochastic else "shift", edit)


IDENTITY = evaluation.Method("identity", lambda wp, targets, asked, key: wp)
PROTOCOL = evaluation.Protocol(
  num_test=6, diversity_inputs=6, diversity_samples=3, num_frames=5, batch_size=4, ppl_crop=False
)


def _data():
  wp = RNG.normal(size=(7, 2, C)).astype(np.float32)
  labels = (linear_render(jnp.asarray(wp)).mean(axis=(1, 2, 3)) > 0).astype(np.float32)[:, None]
  return wp, np.asarray(labels)


def _reference(wp):
  """Statistics of the sources, twice: what an identity edit's pooled directions give."""
  features = stand_in_networks().inception(linear_render(jnp.asarray(wp[:6])))
  return fid.feature_statistics(np.concatenate([features, features]))


def test_harness_metrics_by_hand(tmp_path):
  wp, labels = _data()
  methods = [IDENTITY, shift_method(), shift_method(stochastic=True)]
  results = evaluation.run_evaluation(
    methods, linear_render, stand_in_networks(), wp, labels, ["a"], PROTOCOL, tmp_path,
    reference_stats=_reference(wp),
  )  # fmt: skip
  ident = results["methods"]["identity"]["attributes"]["a"]
  for direction in ("to1", "to0"):
    row = ident[direction]
    assert row["count"] == 6
    assert row["lpips"] == 0 and row["pir"] == 0 and row["path_lpips"] == 0 and row["ppl"] == 0
    assert row["frs"] == pytest.approx(1.0)
    assert row["content_lpips"] == 0 and row["acc_identity"] == row["acc"]
  assert ident["both"]["fid"] == pytest.approx(0.0, abs=1e-4)  # the reference set itself
  assert "fid" not in ident["to1"]  # FID per attribute only, as cal_fid.py
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
    assert row["content_lpips"] == pytest.approx(step, rel=1e-4)  # source to translation
    assert row["ppl"] == pytest.approx(float(jnp.square(5.0 * MIX.sum(axis=0)).mean()), rel=2e-2)
  assert shift["both"]["fid"] > 1.0
  assert results["methods"]["noisy"]["attributes"]["a"]["to1"]["lpips"] > 0.05
  assert results["methods"]["shift"]["mean"]["acc"] == 1.0

  md = (tmp_path / "results.md").read_text()
  assert "## Table I" in md and "## Table II" in md and "| shift | a | to0 |" in md
  assert json.loads((tmp_path / "results.json").read_text())["networks"] == {"all": "stand-ins"}


def test_small_protocol_of_the_trainer():
  """No paths (num_frames=0) and only LPIPS and the classifier: the trainer's end-of-run
  numbers, equal to those of the full protocol."""
  from isf_jax.evaluation import end_of_run, summary

  wp, labels = _data()
  small = evaluation.Protocol(**{**PROTOCOL.__dict__, "num_frames": 0})
  nets = dataclasses.replace(stand_in_networks(), lpips_vgg=None, inception=None, arcface=None)
  methods = [shift_method(stochastic=True)]
  args = (linear_render, nets, wp[:6], labels[:6], ["a"], ["a"])
  small_arrays = evaluation.score_directions(methods, *args, small)
  full_arrays = evaluation.score_directions(methods, *args, PROTOCOL)
  rows = {"a": summary.attribute_rows({v: small_arrays["noisy", "a", v] for v in (1, 0)})}
  full = summary.attribute_rows({v: full_arrays["noisy", "a", v] for v in (1, 0)})
  assert set(rows["a"]["both"]) == {
    "count", "lpips", "content_lpips", "acc", "acc_flipped", "preservation", "acc_identity"
  }  # fmt: skip
  assert rows["a"]["both"]["preservation"] is None  # no other attribute to keep
  for key in set(rows["a"]["both"]) - {"preservation"}:
    assert rows["a"]["both"][key] == pytest.approx(full["both"][key], rel=1e-6), key
  numbers = end_of_run.summary_metrics(rows)
  assert numbers["eval/accuracy/a"] == numbers["eval/accuracy_mean"] == full["both"]["acc"]
  assert numbers["eval/identity_accuracy_mean"] == 0.5  # both directions: p and 1 - p
  assert numbers["eval/content_lpips"] == pytest.approx(full["both"]["content_lpips"])
  assert numbers["eval/diversity_lpips"] == pytest.approx(full["both"]["lpips"])
  table = report.training_markdown(numbers, ["a"], small)
  assert "| a | 100.0% | n/a | 50.0% |" in table and "pairs of 3 samples, first 6 codes" in table


def test_combination_targets_flip_the_asked_attributes():
  labels = RNG.integers(0, 2, (50, 6)).astype(np.float32)
  targets, asked = combinations.combination_targets(labels, 2, seed=1)
  assert (asked.sum(axis=1) == 2).all() and set(np.unique(asked)) == {0.0, 1.0}
  np.testing.assert_array_equal(targets[asked > 0], 1 - labels[asked > 0])
  np.testing.assert_array_equal(targets[asked == 0], labels[asked == 0])
  again, _ = combinations.combination_targets(labels, 2, seed=1)
  np.testing.assert_array_equal(again, targets)
  with pytest.raises(ValueError, match="cannot edit 7 of 6"):
    combinations.combination_targets(labels, 7)


def test_kept_fraction_counts_only_the_attributes_not_asked_for():
  source = np.array([[1, 0, 1, 1], [0, 0, 0, 0]])
  predicted = np.array([[0, 0, 1, 0], [1, 1, 0, 0]])
  np.testing.assert_allclose(kept_fraction(predicted, source, 0), [2 / 3, 2 / 3])
  asked = np.array([[1, 0, 0, 1], [1, 1, 0, 0]])
  np.testing.assert_allclose(kept_fraction(predicted, source, asked), [1.0, 1.0])
  assert np.isnan(kept_fraction(predicted[:1], source[:1], np.ones((1, 4)))).all()


def test_combinations_score_joint_success_and_preservation():
  """A stand-in world: attribute k is the sign of the mean of latent channel k; an oracle edit
  sets exactly the asked attributes, so it reaches all of them and keeps the rest."""
  k_attributes = 3
  wp = RNG.normal(size=(10, 2, C)).astype(np.float32)
  labels = (wp[:, 0, :k_attributes] > 0).astype(np.float32)

  def render(w):  # [B, L, C] -> [B, 4, 4, 3]: channel k of layer 0 in pixel column k
    return jnp.broadcast_to(w[:, :1, :4, None], (w.shape[0], 4, 4, 3))

  def classifier(images):  # -> [B, K]
    return (np.asarray(images)[:, 0, :k_attributes, 0] > 0).astype(np.int64)

  def oracle(w, targets, asked, key):
    value = jnp.where(targets > 0, 1.0, -1.0) * (jnp.abs(w[:, 0, :k_attributes]) + 0.1)
    channels = jnp.where(asked > 0, value, w[:, 0, :k_attributes])
    return w.at[:, 0, :k_attributes].set(channels)

  nets = evaluation.MetricNetworks(
    lpips=lambda a, b: jnp.abs(a - b).mean(axis=(1, 2, 3)), classifier=classifier
  )
  protocol = evaluation.Protocol(num_test=10, diversity_samples=2, num_frames=0, batch_size=4)
  harness = Harness(render, nets, protocol)
  source = classifier(render(jnp.asarray(wp)))
  methods = [evaluation.Method("oracle", oracle), IDENTITY]
  scores = combinations.combination_metrics(
    combinations.score_combinations(methods, harness, wp, labels, source, [1, 2])
  )
  for size in (1, 2):
    assert scores["oracle", size]["joint_acc"] == scores["oracle", size]["acc"] == 1.0
    assert scores["oracle", size]["preservation"] == 1.0
    assert scores["identity", size]["joint_acc"] == scores["identity", size]["acc"] == 0.0
    assert scores["identity", size]["preservation"] == 1.0
    assert (
      scores["identity", size]["content_lpips"] == 0.0 < scores["oracle", size]["content_lpips"]
    )


def test_rerun_resumes_from_partial_results(tmp_path):
  wp, labels = _data()
  args = ([shift_method()], linear_render, stand_in_networks(), wp, labels, ["a"])
  first = evaluation.run_evaluation(*args, PROTOCOL, tmp_path, reference_stats=_reference(wp))
  assert sorted(p.name for p in (tmp_path / "partial" / "shift").iterdir()) == [
    "a_to0.npz", "a_to1.npz"
  ]  # fmt: skip

  def exploding_render(wp):
    raise AssertionError("a finished direction was computed again")

  again = evaluation.run_evaluation(
    [shift_method()], exploding_render, *args[2:], PROTOCOL, tmp_path,
    reference_stats=_reference(wp),
  )  # fmt: skip
  assert again == first
  (tmp_path / "partial" / "shift" / "a_to0.npz").unlink()
  with pytest.raises(AssertionError, match="computed again"):
    evaluation.run_evaluation(
      [shift_method()], exploding_render, *args[2:], PROTOCOL, tmp_path,
      reference_stats=_reference(wp),
    )  # fmt: skip
  changed = evaluation.Protocol(**{**PROTOCOL.__dict__, "seed": 1})
  evaluation.run_evaluation(*args, changed, tmp_path, reference_stats=_reference(wp))


def test_too_few_test_codes_and_unknown_attributes(tmp_path):
  wp, labels = _data()
  with pytest.raises(ValueError, match="test split has 7 codes .* --num_test=1000"):
    evaluation.run_evaluation(
      [IDENTITY], linear_render, stand_in_networks(), wp, labels, ["a"], evaluation.Protocol(),
      tmp_path,
    )  # fmt: skip
  with pytest.raises(ValueError, match="unknown attributes"):
    evaluation.run_evaluation(
      [IDENTITY], linear_render, stand_in_networks(), wp, labels, ["a"], PROTOCOL, tmp_path,
      evaluate_attributes=["b"],
    )  # fmt: skip


# --- the statistics world end to end -----------------------------------------------------------

DEMO_FLAGS = dict(
  num_test=4, diversity_inputs=4, diversity_samples=3, num_frames=4, batch_size=4, ppl_crop=True
)


@pytest.fixture(scope="module")
def demo_workdir(tmp_path_factory):
  """A small statistics-world dataset and an ISF exported exactly as the trainer exports it (random
  initial weights: training itself is tested in test_train.py)."""
  import types

  from configs import statistics
  from isf_jax.demo.dataset import prepare_statistics_dataset
  from isf_jax.models.isf import ISF
  from isf_jax.training import networks

  workdir = tmp_path_factory.mktemp("demo")
  config = statistics.get_config()
  config.data.num_train = 128
  config.data.num_test = 6
  prepare_statistics_dataset(config, workdir)
  w_dim = 64
  shapes = (jnp.zeros((1, config.isf.num_layers, w_dim)), jnp.zeros((1, config.train.noise_dim)))
  params = ISF(**networks.isf_kwargs(config)).init(jax.random.key(0), *shapes, jnp.zeros((1, 4)))
  state = types.SimpleNamespace(isf_ema_params=params["params"], step=0)
  networks.export_isf(workdir / "isf_ema", config, state, w_dim)
  return config, workdir


@pytest.mark.slow
def test_demo_world_isf_against_interfacegan(demo_workdir, lpips_cache):
  config, workdir = demo_workdir
  protocol = evaluation.Protocol(**DEMO_FLAGS)
  results = evaluation.evaluate_from_config(
    config, workdir, protocol=protocol, attributes=["bright"], num_fid_reference=16
  )
  isf = results["methods"]["isf"]["attributes"]["bright"]
  ifg = results["methods"]["interfacegan"]["attributes"]["bright"]
  assert set(isf) == {"to1", "to0", "both"} and isf["to1"]["count"] == 4
  assert isf["both"]["lpips"] > 0 and ifg["both"]["lpips"] < 1e-9  # InterFaceGAN: deterministic
  assert ifg["to1"]["acc"] >= 0.75 and ifg["to0"]["acc"] >= 0.75  # w +- 3 n moves brightness
  for row in (*isf.values(), *ifg.values()):
    assert 0 <= row["acc"] <= 1 and -1 <= row["frs"] <= 1 and row["ppl"] > 0 and row["pir"] >= 0
  assert isf["both"]["fid"] > 0 and ifg["both"]["fid"] > 0  # random-weight Inception
  accuracies = results["interfacegan"]["boundary_val_accuracy"]
  assert set(accuracies) == set(config.data.attributes)
  md = (workdir / "eval" / "results.md").read_text()
  assert "| isf | bright | to1 |" in md and "| interfacegan | bright | both |" in md
  assert "ArcFace IR-SE50, random weights" in md and "exact classifier" in md

  assert len(list((workdir / "eval" / "partial").rglob("*.npz"))) == 4  # resume: see above


def test_checkpoint_not_matching_the_config(demo_workdir):
  config, workdir = demo_workdir
  other = config.copy_and_resolve_references()
  other.data.attributes = ["bright", "warm", "contrasty", "top_heavy"]
  with pytest.raises(ValueError, match="trained on attributes"):
    evaluation.load_isf_for(workdir / "isf_ema", other, 64)
  other = config.copy_and_resolve_references()
  other.isf.num_layers = 6
  with pytest.raises(ValueError, match="num_layers=8 but the config has 6"):
    evaluation.load_isf_for(workdir / "isf_ema", other, 64)
  with pytest.raises(ValueError, match="w_dim 64 but the data has 32"):
    evaluation.load_isf_for(workdir / "isf_ema", config, 32)
  with pytest.raises(FileNotFoundError, match="python -m isf_jax.train"):
    evaluation.load_isf_for(workdir / "nothing", config, 64)


def test_command_errors_in_one_line(demo_workdir):
  import subprocess
  import sys
  from pathlib import Path

  config, workdir = demo_workdir
  root = Path(__file__).resolve().parents[1]
  base = [sys.executable, "-m", "isf_jax.evaluate", "--config", "configs/statistics.py",
          "--workdir", str(workdir), f"--config.data.data_dir={workdir / 'data'}"]  # fmt: skip
  few = subprocess.run(base, cwd=root, capture_output=True, text=True)  # default: 1000 codes
  assert few.returncode == 1
  assert few.stderr.strip().splitlines()[-1] == (
    "error: the test split has 6 codes but the protocol needs --num_test=1000; generate more "
    "test codes or pass --num_test=6"
  )


def test_missing_metric_weights_name_the_command(monkeypatch, tmp_path):
  from configs import ffhq

  monkeypatch.setenv("ISF_JAX_CACHE", str(tmp_path))
  with pytest.raises(FileNotFoundError, match="isf-jax-convert inception"):
    evaluation.metric_networks(ffhq.get_config(), tmp_path)
  with pytest.raises(FileNotFoundError, match="isf-jax-convert arcface"):
    evaluation.metric_networks(ffhq.get_config(), tmp_path, inception_variant=None)


def test_real_classifiers_use_the_official_label_rule(monkeypatch):
  from isf_jax.metrics import attribute_classifier

  # Stand-in logit networks: the mean pixel, whatever the file.
  monkeypatch.setattr(
    attribute_classifier, "load_attribute_classifier",
    lambda path: lambda images: np.asarray(images).mean(axis=(1, 2, 3)),
  )  # fmt: skip
  names = ["gender", "age"]
  files = {"gender": "00-male.pkl", "age": "04-young.pkl"}
  classify = evaluation.real_classifier(names, files, invert={"gender"})
  images = np.stack([np.full((4, 4, 3), 0.5), np.full((4, 4, 3), -0.5)])
  # gender: 1 - [p > 0.5]; age: [p > 0.5] (official cal_accuracy.py)
  np.testing.assert_array_equal(classify(images), [[0, 1], [1, 0]])
  with pytest.raises(FileNotFoundError, match="no attribute classifier for \\['age'\\]"):
    evaluation.real_classifier(names, {"gender": "x"}, invert=set())
  assert evaluation.real_classifier(names, {"none": "none"}, invert=set()) is None


def test_fid_reference_from_images_stats_or_renders(tmp_path):
  from isf_jax import images

  nets = stand_in_networks()
  wp, _ = _data()
  renders = np.asarray(linear_render(jnp.asarray(wp[:4])))
  for i, image in enumerate(images.to_uint8(renders)):
    images.save_png(tmp_path / "real" / f"{i}.png", image)
  mu, sigma, what = evaluation.reference_statistics(
    str(tmp_path / "real"), nets, None, None, 0, 3, tmp_path / "ref.npz"
  )
  assert what == f"images in {tmp_path / 'real'}" and mu.shape == (16,) and sigma.shape == (16, 16)
  quantised = images.to_uint8(renders).astype(np.float32) / 127.5 - 1.0  # what the PNGs hold
  np.testing.assert_allclose(mu, quantised.reshape(4, -1)[:, :16].mean(0), atol=1e-5)
  again = evaluation.reference_statistics(str(tmp_path / "real"), nets, None, None, 0, 3,
                                        tmp_path / "ref.npz")  # fmt: skip
  np.testing.assert_array_equal(again[0], mu)  # cached

  rendered = evaluation.reference_statistics("", nets, linear_render, wp, 5, 2, tmp_path / "r.npz")
  expected = np.asarray(nets.inception(linear_render(jnp.asarray(wp[:5])))).mean(axis=0)
  np.testing.assert_allclose(rendered[0], expected, rtol=1e-5)  # the first 5 training codes
  with pytest.raises(ValueError, match="fewer than --num_fid_reference=50"):
    evaluation.reference_statistics("", nets, linear_render, wp, 50, 2, tmp_path / "x.npz")

  np.savez(tmp_path / "stats.npz", mu=mu, sigma=sigma)
  stats = str(tmp_path / "stats.npz")
  loaded = evaluation.reference_statistics(stats, nets, None, None, 0, 1, None)
  np.testing.assert_array_equal(loaded[1], sigma)
