"""Whole evaluations: `run_evaluation` (given methods, renderer and networks) and
`evaluate_from_config` (everything loaded from a training config, as the command does)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from isf_jax.evaluation import networks
from isf_jax.evaluation.harness import score_directions
from isf_jax.evaluation.methods import interfacegan_boundaries, interfacegan_method, isf_method
from isf_jax.evaluation.partial import PartialResults
from isf_jax.evaluation.protocol import Method, MetricNetworks, Protocol
from isf_jax.evaluation.report import markdown, write_results
from isf_jax.evaluation.summary import summarize

METHODS = ("isf", "interfacegan")


def run_evaluation(
  methods: list[Method],
  render,
  nets: MetricNetworks,
  wp,
  labels,
  attributes: list[str],
  protocol: Protocol,
  out_dir,
  reference_stats=None,
  meta: dict | None = None,
  evaluate_attributes: list[str] | None = None,
) -> dict:
  """Score every method, attribute and direction; write results.{json,md}; return the results.

  wp [N, L, C] and labels [N, K] are the held-out test codes (the first num_test are used);
  reference_stats: (mu, sigma) of the FID reference set (None: no FID). Finished directions
  are kept in out_dir/partial/ and reused by a rerun with the same settings.
  """
  protocol.check(len(wp))
  out_dir = Path(out_dir)
  names = list(evaluate_attributes or attributes)
  unknown = sorted(set(names) - set(attributes))
  if unknown:
    raise ValueError(f"unknown attributes {unknown}; the checkpoint has {attributes}")
  wp = np.asarray(wp[: protocol.num_test], np.float32)
  labels = np.asarray(labels[: protocol.num_test], np.float32)
  store = PartialResults(
    out_dir, {"protocol": dataclasses.asdict(protocol), "networks": nets.notes, **(meta or {})}
  )
  per_direction = score_directions(
    methods, render, nets, wp, labels, list(attributes), names, protocol, store
  )
  results = summarize(per_direction, methods, names, reference_stats)
  results["networks"] = nets.notes
  results["protocol"] = dataclasses.asdict(protocol)
  results.update(meta or {})
  write_results(out_dir, results, markdown(results))
  return results


def _test_split(config, data_dir: str, protocol: Protocol) -> dict:
  """The held-out split, checked against the config's attributes and the protocol's size."""
  from isf_jax.data import pipeline

  names = list(config.data.attributes)
  dataset_names = pipeline.attribute_names(data_dir, config.data.name)
  if dataset_names != names:
    raise ValueError(f"dataset {config.data.name} has attributes {dataset_names}, config {names}")
  test = pipeline.load_split(data_dir, config.data.name, config.data.test_split)
  protocol.check(len(test["wp"]))
  return test


def interfacegan_baseline(config, train_split, out_dir: Path, alpha, boundary_files, w_shape):
  """(the baseline method, its meta): boundaries from InterFaceGAN's files where given
  ({attribute: .npy}), the others trained on the training split; the edit moves W before
  the data's truncation (config.interfacegan) when it had one."""
  from isf_jax.baselines import interfacegan

  names = list(config.data.attributes)
  num_layers, w_dim = w_shape
  alpha = interfacegan.ALPHA if alpha is None else alpha
  psi, cutoff = config.interfacegan.truncation_psi, config.interfacegan.truncation_cutoff
  given = {a: interfacegan.load_released_boundary(p, w_dim) for a, p in boundary_files.items()}
  meta = {"alpha": alpha, "boundaries": {a: str(p) for a, p in boundary_files.items()}}
  if psi != 1.0:
    meta["truncation"] = {"psi": psi, "cutoff": cutoff}
  missing = [a for a in names if a not in given]
  if missing:
    trained = interfacegan_boundaries(
      train_split, names, out_dir / "interfacegan_boundaries.npz", config.data.name,
      layer=interfacegan.untruncated_layer(num_layers, psi, cutoff),
    )  # fmt: skip
    accuracy = dict(zip(names, trained.val_accuracy.tolist(), strict=True))
    meta["boundary_val_accuracy"] = {a: accuracy[a] for a in missing}
    given.update({a: trained.normals[names.index(a)] for a in missing})
  normals = np.stack([given[a] for a in names])  # [K, C]
  scale = interfacegan.truncation_coefficients(num_layers, psi, cutoff) if psi != 1.0 else None
  return interfacegan_method(normals, alpha, scale), meta


def boundary_files(assignments, attributes) -> dict:
  """{attribute: path} of InterFaceGAN boundary files, checked against the attributes."""
  files = dict(assignments or {})
  unknown = sorted(set(files) - set(attributes))
  if unknown:
    raise ValueError(f"boundaries given for unknown attributes {unknown}; known: {attributes}")
  absent = [str(p) for p in files.values() if not Path(p).is_file()]
  if absent:
    raise FileNotFoundError(f"boundary file(s) {absent} do not exist")
  return files


def evaluate_from_config(
  config,
  workdir,
  *,
  isf=None,
  generator=None,
  out=None,
  methods=METHODS,
  protocol: Protocol | None = None,
  metric_weights="auto",
  inception_variant="pytorch_fid",
  fid_reference="",
  num_fid_reference=5000,
  classifiers=None,
  invert=None,
  interfacegan_alpha=None,
  boundaries=None,
  attributes=None,
  fid=True,
  inverted=None,
) -> dict:
  """Library entry point of the command: load everything named by the config, run, write.

  boundaries: {attribute: path} of InterFaceGAN's released `.npy` boundary files, used by the
  baseline instead of training those attributes' boundaries. inverted: an
  `inverted.InversionRequest`: also score the methods on inverted codes (results["inverted"],
  out/inverted.{json,md})."""
  from isf_jax.data import pipeline

  workdir = Path(workdir)
  protocol = protocol or Protocol()
  config = config.copy_and_resolve_references()
  if generator:
    config.generator.ckpt = generator
  data_dir = config.data.data_dir or str(workdir / "data")
  test = _test_split(config, data_dir, protocol)
  unknown = sorted(set(methods) - set(METHODS))
  if unknown or not methods:
    raise ValueError(f"--methods takes isf and/or interfacegan, got {list(methods)}")
  out_dir = Path(out) if out else workdir / "eval"
  meta = {"data": f"{config.data.name} ({data_dir})", "generator": config.generator.ckpt}
  chosen = []
  if "isf" in methods:
    isf_path = Path(isf) if isf else workdir / "isf_ema"
    module, params, info = networks.load_isf_for(isf_path, config, test["wp"].shape[-1])
    chosen.append(isf_method(module, params, info.noise_dim))
    meta["isf"] = f"{isf_path} (step {info.step if info.step is not None else 'unknown'})"
  render = networks.generator_render(config)
  nets = networks.metric_networks(
    config, workdir, metric_weights, inception_variant if fid else None, classifiers, invert
  )
  boundaries = boundary_files(boundaries, list(config.data.attributes))
  trains_boundaries = len(boundaries) < len(config.data.attributes)
  needs_train = ("interfacegan" in methods and trains_boundaries) or (
    fid and not fid_reference.endswith(".npz")
  )
  train_split = (
    pipeline.load_split(data_dir, config.data.name, config.data.train_split) if needs_train
    else None
  )  # fmt: skip
  if "interfacegan" in methods:
    method, meta["interfacegan"] = interfacegan_baseline(
      config, train_split, out_dir, interfacegan_alpha, boundaries, test["wp"].shape[1:]
    )
    chosen.append(method)
  reference = None
  if fid:
    mu, sigma, meta["fid_reference"] = networks.reference_statistics(
      fid_reference, nets, render, train_split["wp"] if train_split else None, num_fid_reference,
      protocol.batch_size, out_dir / "fid_reference.npz",
    )  # fmt: skip
    reference = (mu, sigma)
  results = run_evaluation(
    chosen, render, nets, test["wp"], test["labels"], list(config.data.attributes), protocol,
    out_dir, reference_stats=reference, meta=meta, evaluate_attributes=attributes,
  )  # fmt: skip
  if inverted is not None:
    from isf_jax.evaluation.inverted import evaluate_inverted

    results["inverted"] = evaluate_inverted(
      inverted, chosen, render, nets, test, list(config.data.attributes), config.generator.ckpt,
      out_dir, protocol.seed,
    )  # fmt: skip
  return results
