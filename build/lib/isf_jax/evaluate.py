"""Score a trained ISF (and the InterFaceGAN baseline) with the paper's metrics, in one command.

  python -m isf_jax.evaluate --config configs/demo.py --workdir runs/demo
  python -m isf_jax.evaluate --config configs/ffhq.py --workdir runs/ffhq \\
      [--isf DIR] [--generator DIR] [--fid_reference STATS.npz|IMAGE_DIR] [--classifier A=PKL]

Protocol (paper IV and SI A-A; the official `eval/*.py`, minus their bugs: docs/evaluation.md):
every one of the first `--num_test` (1000) held-out test codes is translated with each attribute
set to 1 and to 0 (the other labels kept); per attribute and direction:
  FID      Inception pool3 statistics of the translations vs a reference set (per attribute,
           both directions pooled, as `cal_fid.py`; `--nofid` skips it);
  LPIPS    diversity: `--diversity_samples` (10) translations per input, mean LPIPS-Alex over
           pairs i < j;
  FRS      cosine similarity of ArcFace embeddings, source vs translation;
  Acc      the classifier reads the requested value (also over the codes whose label changes);
  PPL      StyleGAN PPL along the edit path w -> w' (eps 1e-4, face crop, LPIPS-VGG, 1-99
           percentile filtering);
  PIR      on `--num_frames` (20) frames from w to w': (max - min step LPIPS) / (end-to-end + 1e-6).
Writes `eval/results.json` and `eval/results.md` (Table I and II layout) under --workdir (or
--out). Each (method, attribute, direction) is saved atomically to `eval/partial/` when done and
skipped on a rerun with the same protocol, so an interrupted run resumes.

On the demo world (generator "demo") the exact demo classifier stands in for the attribute
networks and Inception and ArcFace have random weights (marked in the table; `--metric_weights
real` loads converted ones): the numbers test the machinery, not face quality.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from isf_jax.files import atomic_open
from isf_jax.metrics import accuracy, diversity, identity, ppl

DIRECTIONS = (1, 0)  # target value of the edited attribute
LPIPS_SIZE = 256  # the official scripts resize to 256 before LPIPS


@dataclasses.dataclass(frozen=True)
class Protocol:
  """Sizes of the evaluation; defaults are the paper's."""

  num_test: int = 1000
  diversity_inputs: int = 1000  # inputs (of the num_test) with diversity samples
  diversity_samples: int = 10
  num_frames: int = 20
  ppl_eps: float = ppl.PPL_EPS
  ppl_crop: bool = True  # StyleGAN's face crop
  batch_size: int = 16
  seed: int = 0

  def check(self, available: int) -> None:
    if available < self.num_test:
      raise ValueError(
        f"the test split has {available} codes but the protocol needs --num_test="
        f"{self.num_test}; generate more test codes or pass --num_test={available}"
      )
    if self.num_test < 2 or self.batch_size < 1:
      raise ValueError(f"need num_test >= 2 and batch_size >= 1, got {self}")
    if self.diversity_samples < 2:
      raise ValueError(f"--diversity_samples must be at least 2, got {self.diversity_samples}")
    ppl.interpolation_alphas(self.num_frames)  # validates num_frames


@dataclasses.dataclass(frozen=True)
class MetricNetworks:
  """Image networks of the metrics; each None skips its metric ("n/a" in the table).

  lpips: (a, b) [N, H, W, 3] in [-1, 1] -> [N], LPIPS-Alex (diversity, PIR, path length).
  lpips_vgg: the same with VGG (StyleGAN PPL).
  inception: images -> [N, 2048] (FID); arcface: images -> [N, 512] (FRS);
  classifier: images -> [N, K] binary labels in the dataset's convention (accuracy).
  notes: what each network is, e.g. {"inception": "pytorch_fid, random weights"}.
  """

  lpips: Callable
  lpips_vgg: Callable | None = None
  inception: Callable | None = None
  arcface: Callable | None = None
  classifier: Callable | None = None
  notes: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Method:
  """An editor: edit(wp [B, L, C], targets [B, K], attribute index, key) -> wp' (jittable)."""

  name: str
  edit: Callable
  description: str = ""


# --- editors -----------------------------------------------------------------------------


def isf_method(isf_module, params, noise_dim: int, name="isf") -> Method:
  def edit(wp, targets, k, key):
    del k  # the targets say everything
    noise = jax.random.normal(key, (wp.shape[0], noise_dim))
    return isf_module.apply({"params": params}, wp, noise, targets)

  return Method(name, edit, "ISF (EMA weights), one noise draw per translation")


def interfacegan_method(normals, alpha: float, name="interfacegan") -> Method:
  from isf_jax.baselines import interfacegan

  normals = jnp.asarray(normals)  # [K, C]

  def edit(wp, targets, k, key):
    del key  # deterministic
    return interfacegan.edit(wp, normals[k], targets[:, k], alpha)

  return Method(name, edit, f"InterFaceGAN, w +- {alpha} n on every W+ layer")


# --- the harness -------------------------------------------------------------------------


def _to_metric_size(images):
  return ppl.downsample_to(images, LPIPS_SIZE)


class Harness:
  """Jitted per-batch computations shared by every method.

  Every network is compiled once, for one batch shape: paths and sample pairs are looped on
  the host over batches of `batch_size` images, which keeps the device memory of 20 frames
  small (they are kept at LPIPS size) and the compile time of a CI run short."""

  def __init__(self, render: Callable, nets: MetricNetworks, protocol: Protocol):
    self.nets = nets
    self.protocol = protocol
    self.render = jax.jit(render)
    self.lerp = jax.jit(ppl.lerp)
    self.to_metric_size = jax.jit(_to_metric_size)
    self.lpips = jax.jit(nets.lpips)
    self.alphas = ppl.interpolation_alphas(protocol.num_frames)
    self.pairs = diversity.sample_pairs(protocol.diversity_samples)
    self.ppl_images = jax.jit(lambda x: ppl.ppl_images(x, protocol.ppl_crop))
    self.lpips_vgg = jax.jit(nets.lpips_vgg) if nets.lpips_vgg is not None else None

  def path(self, wp, wp_edit):
    """(steps [B, F - 1], shortest path [B]) of the frames from wp to wp_edit."""
    frames = [self.to_metric_size(self.render(self.lerp(wp, wp_edit, a))) for a in self.alphas]
    steps = [self.lpips(a, b) for a, b in zip(frames[:-1], frames[1:], strict=True)]
    return np.stack(steps, axis=1), np.asarray(self.lpips(frames[0], frames[-1]))

  def ppl(self, wp, wp_edit, t):
    """StyleGAN PPL distances [B] at points t [B] of the path from wp to wp_edit."""
    eps = self.protocol.ppl_eps
    a = self.ppl_images(self.render(self.lerp(wp, wp_edit, t)))
    b = self.ppl_images(self.render(self.lerp(wp, wp_edit, t + eps)))
    return ppl.ppl_distances(self.lpips_vgg, a, b, eps)

  def pairwise(self, wp_samples):
    """Mean LPIPS over sample pairs i < j per input [B]; wp_samples: S codes [B, L, C]."""
    images = [self.to_metric_size(self.render(w)) for w in wp_samples]
    distances = [self.lpips(images[i], images[j]) for i, j in zip(*self.pairs, strict=True)]
    return np.mean(np.stack(distances), axis=0)

  def source_outputs(self, wp) -> dict:
    """ArcFace embeddings and classifier labels of the source images [N, ...]."""
    out = {"embedding": [], "labels": []}
    for batch, m in _batches(wp, self.protocol.batch_size):
      images = self.render(batch)
      if self.nets.arcface is not None:
        out["embedding"].append(np.asarray(self.nets.arcface(images))[:m])
      if self.nets.classifier is not None:
        out["labels"].append(np.asarray(self.nets.classifier(images))[:m])
    return {k: np.concatenate(v) for k, v in out.items() if v}

  def direction(self, edit, wp, labels, source, k: int, value: int, key, bar):
    """Per-code arrays of one (method, attribute, direction)."""
    p = self.protocol
    out = {name: [] for name in ("features", "frs", "predicted", "diversity", "ppl", "steps",
                                 "shortest")}  # fmt: skip
    targets_all = np.asarray(labels, np.float32).copy()
    targets_all[:, k] = value
    for start in range(0, p.num_test, p.batch_size):
      stop = min(start + p.batch_size, p.num_test)
      batch, m = _pad(wp[start:stop], p.batch_size)
      targets, _ = _pad(targets_all[start:stop], p.batch_size)
      batch_key = jax.random.fold_in(key, start)
      edited = edit(batch, targets, k, jax.random.fold_in(batch_key, 0))
      images = self.render(edited)
      if self.nets.inception is not None:
        out["features"].append(np.asarray(self.nets.inception(images))[:m])
      if self.nets.arcface is not None:
        emb = np.asarray(self.nets.arcface(images))[:m]
        out["frs"].append(identity.cosine_similarity(source["embedding"][start:stop], emb))
      if self.nets.classifier is not None:
        out["predicted"].append(np.asarray(self.nets.classifier(images))[:m, k])
      steps, shortest = self.path(batch, edited)
      out["steps"].append(np.asarray(steps)[:m])
      out["shortest"].append(np.asarray(shortest)[:m])
      if self.lpips_vgg is not None:
        t = jax.random.uniform(jax.random.fold_in(batch_key, 1), (p.batch_size,))
        out["ppl"].append(self.ppl(batch, edited, t)[:m])
      if start < p.diversity_inputs:
        keep = min(m, p.diversity_inputs - start)
        samples = [
          edit(batch, targets, k, jax.random.fold_in(batch_key, 100 + s))
          for s in range(p.diversity_samples)
        ]
        out["diversity"].append(self.pairwise(samples)[:keep])
      bar.update(stop - start)
    arrays = {name: np.concatenate(v) for name, v in out.items() if v}
    arrays["flipped"] = np.asarray(labels)[: p.num_test, k] != value
    return arrays


def _pad(x, size: int):
  """x [m, ...] -> ([size, ...] repeating the last row, m): one compiled shape per run."""
  x = np.asarray(x)
  m = len(x)
  if m < size:
    x = np.concatenate([x, np.repeat(x[-1:], size - m, axis=0)])
  return jnp.asarray(x), m


def _batches(x, size: int):
  for start in range(0, len(x), size):
    yield _pad(x[start : start + size], size)


# --- partial results (resume) ------------------------------------------------------------


def _partial_path(out_dir: Path, method: str, attribute: str, value: int) -> Path:
  return out_dir / "partial" / method / f"{attribute}_to{value}.npz"


def _save_npz(path: Path, arrays: dict, meta: dict) -> None:
  with atomic_open(path, suffix=".npz") as f:
    np.savez(f, meta=json.dumps(meta, sort_keys=True), **arrays)


def _load_partial(path: Path, meta: dict) -> dict | None:
  """The saved arrays if they were made under the same protocol and checkpoints."""
  if not path.exists():
    return None
  with np.load(path) as f:
    if json.loads(str(f["meta"])) != json.loads(json.dumps(meta, sort_keys=True)):
      return None
    return {k: f[k] for k in f.files if k != "meta"}


# --- evaluation and summary --------------------------------------------------------------


def run_evaluation(
  methods: list[Method],
  render: Callable,
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
  reference_stats: (mu, sigma) of the FID reference set (None: no FID).
  """
  protocol.check(len(wp))
  out_dir = Path(out_dir)
  names = list(evaluate_attributes or attributes)
  unknown = sorted(set(names) - set(attributes))
  if unknown:
    raise ValueError(f"unknown attributes {unknown}; the checkpoint has {attributes}")
  wp = np.asarray(wp[: protocol.num_test], np.float32)
  labels = np.asarray(labels[: protocol.num_test], np.float32)
  harness = Harness(render, nets, protocol)
  base_meta = {
    "protocol": dataclasses.asdict(protocol),
    "networks": nets.notes,
    **(meta or {}),
  }
  todo, partial = [], {}
  for method in methods:
    for name in names:
      for value in DIRECTIONS:
        path = _partial_path(out_dir, method.name, name, value)
        saved = _load_partial(path, {**base_meta, "method": method.name})
        if saved is None:
          todo.append((method, name, value))
        else:
          partial[method.name, name, value] = saved
  if todo:
    source = harness.source_outputs(wp)
    edits = {m.name: jax.jit(m.edit) for m in methods}
    base_key = jax.random.key(protocol.seed)
    with tqdm(total=len(todo) * protocol.num_test, unit="code", desc="evaluate",
              file=sys.stderr) as bar:  # fmt: skip
      for method, name, value in todo:
        bar.set_postfix_str(f"{method.name} {name}->{value}")
        k = attributes.index(name)
        key = jax.random.fold_in(jax.random.fold_in(base_key, k), value)
        arrays = harness.direction(edits[method.name], wp, labels, source, k, value, key, bar)
        _save_npz(
          _partial_path(out_dir, method.name, name, value),
          arrays,
          {**base_meta, "method": method.name},
        )
        partial[method.name, name, value] = arrays
  results = summarize(partial, methods, names, reference_stats)
  results["networks"] = nets.notes
  results["protocol"] = dataclasses.asdict(protocol)
  results.update(meta or {})
  _write_text(out_dir / "results.json", json.dumps(results, indent=2, sort_keys=True))
  _write_text(out_dir / "results.md", markdown(results))
  return results


def direction_metrics(arrays: dict, reference_stats=None) -> dict:
  """Scalar metrics of one direction, or of several pooled (arrays concatenated). FID only
  where `reference_stats` are given: per attribute, both directions pooled as `cal_fid.py`."""
  row = {"count": int(len(arrays["steps"]))}
  if "features" in arrays and reference_stats is not None:
    from isf_jax.metrics import fid

    stats = fid.feature_statistics(arrays["features"])
    row["fid"] = fid.frechet_distance(*stats, *reference_stats, method="eigh")
  row["lpips"] = float(np.mean(arrays["diversity"]))
  if "frs" in arrays:
    row["frs"] = float(np.mean(arrays["frs"]))
  if "predicted" in arrays:
    row["acc"] = accuracy.accuracy(arrays["predicted"], arrays["target"])
    row["acc_flipped"] = accuracy.accuracy(arrays["predicted"], arrays["target"], arrays["flipped"])
  if "ppl" in arrays:
    row["ppl"] = ppl.filtered_mean(arrays["ppl"])
  row["pir"] = float(
    np.mean(ppl.perceptual_interpolation_range(arrays["steps"], arrays["shortest"]))
  )
  row["path_lpips"] = float(np.mean(ppl.path_length(arrays["steps"])))
  return {k: None if isinstance(v, float) and np.isnan(v) else v for k, v in row.items()}


METRICS = ("fid", "lpips", "frs", "acc", "acc_flipped", "ppl", "pir", "path_lpips")


def summarize(partial: dict, methods, names, reference_stats) -> dict:
  """results["methods"][method] = {"attributes": {name: {"to1", "to0", "both"}}, "mean"}."""
  results = {"methods": {}}
  for method in methods:
    per_attribute = {}
    for name in names:
      rows, pooled = {}, {}
      for value in DIRECTIONS:
        arrays = dict(partial[method.name, name, value])
        arrays["target"] = np.full(len(arrays["steps"]), value)
        rows[f"to{value}"] = direction_metrics(arrays)
        for key, array in arrays.items():
          pooled.setdefault(key, []).append(array)
      rows["both"] = direction_metrics(
        {k: np.concatenate(v) for k, v in pooled.items()}, reference_stats
      )
      per_attribute[name] = rows
    mean = {}
    for metric in METRICS:
      values = [rows["both"].get(metric) for rows in per_attribute.values()]
      values = [v for v in values if v is not None]
      mean[metric] = float(np.mean(values)) if values else None
    results["methods"][method.name] = {
      "description": method.description,
      "attributes": per_attribute,
      "mean": mean,
    }
  return results


def _fmt(value, percent=False, digits=3) -> str:
  if value is None:
    return "n/a"
  return f"{100 * value:.1f}" if percent else f"{value:.{digits}f}"


def markdown(results: dict) -> str:
  methods = results["methods"]
  p = results["protocol"]
  lines = [
    "# Evaluation",
    "",
    f"{p['num_test']} held-out test codes, each attribute set to 1 and to 0; diversity over "
    f"{p['diversity_samples']} samples for {min(p['diversity_inputs'], p['num_test'])} inputs "
    f"(pairs i < j); PIR on {p['num_frames']} frames from w to w'; PPL: StyleGAN's (eps "
    f"{p['ppl_eps']:g}, {'face crop, ' if p['ppl_crop'] else ''}percentiles 1-99).",
    "",
    "Networks: " + "; ".join(f"{k}: {v}" for k, v in sorted(results["networks"].items())) + ".",
  ]
  if results.get("fid_reference"):
    lines += ["", f"FID reference: {results['fid_reference']}."]
  lines += [
    "",
    "## Table I (mean over attributes)",
    "",
    "| Model | FID | LPIPS | FRS | mAcc (%) |",
    "| --- | --- | --- | --- | --- |",
  ]
  for name, m in methods.items():
    mean = m["mean"]
    lines.append(
      f"| {name} | {_fmt(mean['fid'], digits=2)} | {_fmt(mean['lpips'])} | "
      f"{_fmt(mean['frs'])} | {_fmt(mean['acc'], percent=True)} |"
    )
  lines += ["", "## Table II", "", "| Method | PPL | PIR |", "| --- | --- | --- |"]
  for name, m in methods.items():
    lines.append(f"| {name} | {_fmt(m['mean']['ppl'], digits=2)} | {_fmt(m['mean']['pir'])} |")
  lines += [
    "",
    "## Per attribute and direction",
    "",
    "`to1`/`to0`: the attribute set to 1/0 for every code; `both`: the two pooled (FID of the "
    "pooled translations, as the official `cal_fid.py`). Acc flips: over the codes whose label "
    "changes. Path LPIPS: mean LPIPS-Alex between neighbouring frames (the official `cal_pir.py` "
    '"PPL").',
    "",
    "| Method | Attribute | Direction | FID | LPIPS | FRS | Acc (%) | Acc flips (%) | PPL | PIR "
    "| Path LPIPS |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ]
  for name, m in methods.items():
    for attribute, rows in m["attributes"].items():
      for direction, row in rows.items():
        lines.append(
          f"| {name} | {attribute} | {direction} | {_fmt(row.get('fid'), digits=2)} | "
          f"{_fmt(row.get('lpips'))} | {_fmt(row.get('frs'))} | "
          f"{_fmt(row.get('acc'), percent=True)} | {_fmt(row.get('acc_flipped'), percent=True)} | "
          f"{_fmt(row.get('ppl'), digits=2)} | {_fmt(row.get('pir'))} | "
          f"{_fmt(row.get('path_lpips'), digits=4)} |"
        )
  return "\n".join(lines) + "\n"


def _write_text(path: Path, text: str) -> None:
  with atomic_open(path, "w") as f:
    f.write(text)


# --- loading: checkpoints, data, networks, reference statistics ---------------------------


def load_isf(path, config, w_dim: int):
  """(ISF module, params, noise_dim, checkpoint meta), checked against the config and data."""
  from isf_jax import checkpoints, train
  from isf_jax.models.isf import ISF

  path = Path(path)
  if not checkpoints.is_checkpoint(path):
    raise FileNotFoundError(
      f"no ISF checkpoint at {path} (train one with `python -m isf_jax.train`, which exports "
      "workdir/isf_ema, or convert one with `python -m convert.isf`)"
    )
  meta_text, variables = checkpoints.load_directory(path)
  meta = json.loads(meta_text)
  kwargs = dict(meta["isf"])
  noise_dim = kwargs.pop("noise_dim", config.train.noise_dim)
  ckpt_w_dim = kwargs.pop("w_dim", w_dim)
  want = train.isf_kwargs(config)
  for key in ("num_layers", "num_domains", "latent"):
    if kwargs.get(key) != want[key]:
      raise ValueError(
        f"ISF checkpoint {path} has {key}={kwargs.get(key)} but the config has {want[key]}"
      )
  if "attributes" in meta and list(meta["attributes"]) != list(config.data.attributes):
    raise ValueError(
      f"ISF checkpoint {path} was trained on attributes {meta['attributes']} but the config "
      f"has {list(config.data.attributes)}"
    )
  if ckpt_w_dim != w_dim:
    raise ValueError(f"ISF checkpoint {path} has w_dim {ckpt_w_dim} but the data has {w_dim}")
  module = ISF(**kwargs)
  params = variables["isf"]
  shape = (1, kwargs["num_layers"], w_dim) if kwargs["latent"] == "wp" else (1, w_dim)
  expected = jax.eval_shape(
    module.init,
    jax.random.key(0),
    jnp.zeros(shape),
    jnp.zeros((1, noise_dim)),
    jnp.zeros((1, kwargs["num_domains"])),
  )["params"]
  got = jax.tree.map(np.shape, params)
  if jax.tree.map(lambda x: x.shape, expected) != got:
    raise ValueError(f"ISF checkpoint {path}: parameter shapes do not match its config.json")
  return module, params, noise_dim, meta


def _generator_render(config):
  from isf_jax import train

  generator, variables = train.load_generator(config)

  def render(wp):  # [B, L, C] -> [B, R, R, 3], about [-1, 1]; fixed noise
    # Not clipped: the dataset's labels and the trainer's losses saw unclipped images too.
    return generator.apply(variables, wp, noise_mode="const", method="synthesize")

  return render


def _lpips_fn(net: str, config):
  from isf_jax.lpips.checkpoint import load_lpips

  path = config.lpips.path if config.lpips.net == net and config.lpips.path else None
  model, variables = load_lpips(net, "0.1", path, check_range=False)
  return lambda a, b: model.apply(variables, a, b)


def metric_networks(
  config,
  workdir,
  weights: str = "auto",
  inception_variant: str | None = "pytorch_fid",
  classifiers: dict | None = None,
  invert=None,
) -> MetricNetworks:
  """The metric networks for this config; `weights`: "real", "random" or "auto" (random on
  the demo world, real otherwise); `inception_variant` None: no FID. Missing converted weights
  raise FileNotFoundError naming the conversion command."""
  from isf_jax.metrics import arcface, inception

  demo = config.generator.ckpt == "demo"
  if weights == "auto":
    weights = "random" if demo else "real"
  if weights not in ("real", "random"):
    raise ValueError(f"--metric_weights must be auto, real or random, got {weights!r}")
  notes = {"lpips": "AlexNet and VGG16 v0.1, real weights"}
  features = None
  if inception_variant is not None:
    features = (
      inception.random_inception(inception_variant)
      if weights == "random"
      else inception.load_inception(inception_variant)
    )
    notes["inception"] = f"InceptionV3 ({inception_variant}), {weights} weights"
  embed = arcface.random_arcface() if weights == "random" else arcface.load_arcface()
  notes["arcface"] = f"ArcFace IR-SE50, {weights} weights"
  if demo:
    from isf_jax import demo as demo_module
    from isf_jax import demo_world

    thresholds = json.loads(demo_world._thresholds_path(config, workdir).read_text())
    classifier = demo_module.ExactClassifier(thresholds)
    notes["classifier"] = "the demo world's exact classifier (training-set medians)"
  else:
    classifiers = classifiers or {}
    names = list(config.data.attributes)
    invert = {a for a in names if a != "age"} if invert is None else set(invert)
    classifier = _real_classifier(names, classifiers, invert)
    notes["classifier"] = "none"
    if classifier is not None:
      notes["classifier"] = "CelebA-HQ attribute classifiers: " + ", ".join(
        f"{a}={Path(classifiers[a]).name}{' (inverted)' if a in invert else ''}" for a in names
      )
  return MetricNetworks(
    lpips=_lpips_fn("alex", config),
    lpips_vgg=_lpips_fn("vgg", config),
    inception=features,
    arcface=embed,
    classifier=classifier,
    notes=notes,
  )


def _real_classifier(names, classifiers: dict, invert: set):
  """[N, K] labels from one converted classifier per attribute: (sigmoid(logit) > 0.5) XOR
  invert (the official rule inverts every attribute but age)."""
  from isf_jax.metrics.attribute_classifier import load_attribute_classifier

  if classifiers == {"none": "none"}:
    return None
  missing = [a for a in names if a not in classifiers]
  if missing:
    raise FileNotFoundError(
      f"no attribute classifier for {missing}: pass --classifier NAME=PATH for each attribute "
      "(a celebahq-classifier .pkl or its conversion by `python -m convert.attribute_classifier`),"
      " or --classifier none to skip accuracy"
    )
  logit_fns = [load_attribute_classifier(classifiers[a]) for a in names]

  def classify(images):
    return np.stack(
      [accuracy.logits_to_labels(np.asarray(fn(images)), a in invert)
       for a, fn in zip(names, logit_fns, strict=True)],
      axis=1,
    )  # fmt: skip

  return classify


def reference_statistics(spec: str, nets: MetricNetworks, render, train_wp, num: int,
                         batch_size: int, cache: Path):  # fmt: skip
  """(mu, sigma, description) of the FID reference set.

  spec "": generator renders of the first `num` training codes; a `.npz` with `mu` and
  `sigma`; or a directory of PNG/JPEG images. Computed statistics are cached at `cache`."""
  from isf_jax.metrics import fid

  if spec.endswith(".npz"):
    with np.load(spec) as f:
      return f["mu"], f["sigma"], f"statistics from {spec}"
  if spec:
    description = f"images in {spec}"
  else:
    if len(train_wp) < num:
      raise ValueError(
        f"the training split has {len(train_wp)} codes, fewer than --num_fid_reference={num}"
      )
    description = f"generator renders of {num} training codes"
  meta = {"source": description, "inception": nets.notes.get("inception")}
  saved = _load_partial(cache, meta)
  if saved is not None:
    return saved["mu"], saved["sigma"], description
  features = []
  if spec:
    paths = sorted(p for p in Path(spec).iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    if len(paths) < 2:
      raise ValueError(f"FID reference directory {spec} has {len(paths)} PNG/JPEG images")
    for start in tqdm(range(0, len(paths), batch_size), desc="FID reference", file=sys.stderr):
      features.append(np.asarray(nets.inception(_read_images(paths[start : start + batch_size]))))
  else:
    render = jax.jit(render)
    for batch, m in tqdm(list(_batches(train_wp[:num], batch_size)), desc="FID reference",
                         file=sys.stderr):  # fmt: skip
      features.append(np.asarray(nets.inception(render(batch)))[:m])
  mu, sigma = fid.feature_statistics(np.concatenate(features))
  _save_npz(cache, {"mu": mu, "sigma": sigma}, meta)
  return mu, sigma, description


def _read_images(paths) -> jnp.ndarray:
  from PIL import Image

  arrays = []
  for p in paths:
    with Image.open(p) as image:
      arrays.append(np.asarray(image.convert("RGB"), np.float32) / 127.5 - 1.0)
  if len({a.shape for a in arrays}) > 1:
    raise ValueError(f"FID reference images differ in size: {sorted({a.shape for a in arrays})}")
  return jnp.asarray(np.stack(arrays))


def interfacegan_boundaries(train_split: dict, attributes, cache: Path, data_name: str):
  """Boundaries trained on the training split (cached next to the results)."""
  from isf_jax.baselines import interfacegan

  meta = {"data": data_name, "num_train": int(len(train_split["wp"])), "attributes": attributes,
          "chosen_ratio": interfacegan.CHOSEN_RATIO, "latent": "first W+ layer"}  # fmt: skip
  if cache.exists():
    boundaries, saved = interfacegan.load_boundaries(cache)
    if saved == meta:
      return boundaries
  print(f"training {len(attributes)} InterFaceGAN boundaries (linear SVMs)", file=sys.stderr)
  boundaries = interfacegan.train_boundaries(
    train_split["wp"], train_split["labels"], attributes, probs=train_split.get("probs")
  )
  interfacegan.save_boundaries(cache, boundaries, meta)
  return boundaries


# --- command line ------------------------------------------------------------------------


def evaluate_from_config(
  config,
  workdir,
  *,
  isf=None,
  generator=None,
  out=None,
  methods=("isf", "interfacegan"),
  protocol: Protocol | None = None,
  metric_weights="auto",
  inception_variant="pytorch_fid",
  fid_reference="",
  num_fid_reference=5000,
  classifiers=None,
  invert=None,
  interfacegan_alpha=None,
  attributes=None,
  fid=True,
) -> dict:
  """Library entry point of the command: load everything named by the config, run, write."""
  from isf_jax.data import pipeline

  workdir = Path(workdir)
  protocol = protocol or Protocol()
  config = config.copy_and_resolve_references()
  if generator:
    config.generator.ckpt = generator
  data_dir = config.data.data_dir or str(workdir / "data")
  names = list(config.data.attributes)
  dataset_names = pipeline.attribute_names(data_dir, config.data.name)
  if dataset_names != names:
    raise ValueError(f"dataset {config.data.name} has attributes {dataset_names}, config {names}")
  test = pipeline.load_split(data_dir, config.data.name, config.data.test_split)
  protocol.check(len(test["wp"]))
  unknown = sorted(set(methods) - {"isf", "interfacegan"})
  if unknown or not methods:
    raise ValueError(f"--methods takes isf and/or interfacegan, got {list(methods)}")
  out_dir = Path(out) if out else workdir / "eval"
  w_dim = test["wp"].shape[-1]
  meta = {"data": f"{config.data.name} ({data_dir})", "generator": config.generator.ckpt}
  chosen = []
  if "isf" in methods:
    isf_path = Path(isf) if isf else workdir / "isf_ema"
    module, params, noise_dim, isf_meta = load_isf(isf_path, config, w_dim)
    chosen.append(isf_method(module, params, noise_dim))
    meta["isf"] = f"{isf_path} (step {isf_meta.get('step', 'unknown')})"
  render = _generator_render(config)
  nets = metric_networks(
    config, workdir, metric_weights, inception_variant if fid else None, classifiers, invert
  )
  needs_train = "interfacegan" in methods or (fid and not fid_reference.endswith(".npz"))
  train_split = (
    pipeline.load_split(data_dir, config.data.name, config.data.train_split)
    if needs_train
    else None
  )
  if "interfacegan" in methods:
    from isf_jax.baselines import interfacegan

    alpha = interfacegan.ALPHA if interfacegan_alpha is None else interfacegan_alpha
    boundaries = interfacegan_boundaries(
      train_split, names, out_dir / "interfacegan_boundaries.npz", config.data.name
    )
    chosen.append(interfacegan_method(boundaries.normals, alpha))
    meta["interfacegan"] = {
      "alpha": alpha,
      "boundary_val_accuracy": dict(zip(names, boundaries.val_accuracy.tolist(), strict=True)),
    }
  reference = None
  if fid:
    mu, sigma, description = reference_statistics(
      fid_reference, nets, render, train_split["wp"] if train_split else None, num_fid_reference,
      protocol.batch_size, out_dir / "fid_reference.npz",
    )  # fmt: skip
    reference = (mu, sigma)
    meta["fid_reference"] = description
  return run_evaluation(
    chosen, render, nets, test["wp"], test["labels"], names, protocol, out_dir,
    reference_stats=reference, meta=meta, evaluate_attributes=attributes,
  )  # fmt: skip


def main(argv):
  from absl import flags, logging

  del argv
  f = flags.FLAGS
  if not f["verbosity"].present:
    logging.set_verbosity(logging.WARNING)  # orbax and TFDS log every read at INFO
  protocol = Protocol(
    num_test=f.num_test,
    diversity_inputs=f.diversity_inputs,
    diversity_samples=f.diversity_samples,
    num_frames=f.num_frames,
    ppl_crop=f.ppl_crop,
    batch_size=f.batch_size,
    seed=f.seed,
  )
  try:
    classifiers = dict(_split_assignment(c) for c in f.classifier)
    results = evaluate_from_config(
      _CONFIG.value, f.workdir, isf=f.isf, generator=f.generator, out=f.out,
      methods=tuple(f.methods), protocol=protocol, metric_weights=f.metric_weights,
      inception_variant=f.inception_variant, fid_reference=f.fid_reference,
      num_fid_reference=f.num_fid_reference, classifiers=classifiers,
      invert=f.classifier_invert, interfacegan_alpha=f.interfacegan_alpha,
      attributes=f.attributes or None, fid=f.fid,
    )  # fmt: skip
  except (FileNotFoundError, ValueError) as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)
  print(markdown(results))


def _split_assignment(text: str) -> tuple[str, str]:
  if text == "none":
    return "none", "none"
  name, sep, path = text.partition("=")
  if not sep or not name or not path:
    raise ValueError(f"--classifier takes NAME=PATH (or none), got {text!r}")
  return name, path


def _define_flags():
  """This command's flags; --config and --workdir are the trainer's (defined on its import)."""
  from absl import flags

  from isf_jax import train

  flags.DEFINE_string("isf", None, "ISF checkpoint directory (default: WORKDIR/isf_ema)")
  flags.DEFINE_string("generator", None, "generator checkpoint (default: the config's)")
  flags.DEFINE_string("out", None, "output directory (default: WORKDIR/eval)")
  flags.DEFINE_list("methods", ["isf", "interfacegan"], "methods to score")
  flags.DEFINE_list("attributes", [], "only these attributes (default: all)")
  flags.DEFINE_integer("num_test", Protocol.num_test, "held-out test codes")
  flags.DEFINE_integer(
    "diversity_inputs", Protocol.diversity_inputs, "inputs with diversity samples"
  )
  flags.DEFINE_integer("diversity_samples", Protocol.diversity_samples, "samples per input")
  flags.DEFINE_integer("num_frames", Protocol.num_frames, "interpolation frames for PIR")
  flags.DEFINE_bool("ppl_crop", Protocol.ppl_crop, "StyleGAN's face crop for PPL")
  flags.DEFINE_integer("batch_size", Protocol.batch_size, "codes per device batch")
  flags.DEFINE_integer("seed", Protocol.seed, "seed of the ISF noise and PPL points")
  flags.DEFINE_string("metric_weights", "auto", "auto (random on the demo world), real or random")
  flags.DEFINE_enum("inception_variant", "pytorch_fid", ["pytorch_fid", "torchvision"], "FID net")
  flags.DEFINE_string("fid_reference", "", "STATS.npz (mu, sigma) or an image directory "
                      "(default: generator renders of training codes)")  # fmt: skip
  flags.DEFINE_integer("num_fid_reference", 5000, "training codes rendered for the FID reference")
  flags.DEFINE_multi_string("classifier", [], "NAME=PATH of a converted attribute classifier")
  flags.DEFINE_list(
    "classifier_invert", None, "attributes read as 1 - [p > 0.5] (default: all but age, official)"
  )
  flags.DEFINE_bool("fid", True, "compute FID (--nofid: skip Inception and the reference set)")
  flags.DEFINE_float("interfacegan_alpha", None, "InterFaceGAN edit strength (default 3.0)")
  flags.mark_flags_as_required(["config", "workdir"])
  return train._CONFIG


if __name__ == "__main__":
  from absl import app

  _CONFIG = _define_flags()
  app.run(main)
