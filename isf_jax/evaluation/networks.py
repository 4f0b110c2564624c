"""Loading what an evaluation needs: the ISF checkpoint, the generator's renderer, the metric
networks (LPIPS, Inception, ArcFace, attribute classifiers) and the FID reference statistics."""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from isf_jax.evaluation.batching import batches
from isf_jax.evaluation.partial import load_npz, save_npz
from isf_jax.evaluation.protocol import MetricNetworks
from isf_jax.metrics import accuracy


def load_isf_for(path, config, w_dim: int):
  """(ISF module, params, ISFInfo) of `isf_jax.load_isf(path)`, checked against the config
  and the latent dataset."""
  from isf_jax.isf_checkpoint import load_isf
  from isf_jax.training.networks import isf_kwargs

  module, variables, info = load_isf(path)
  want = isf_kwargs(config)
  for key in ("num_layers", "num_domains", "latent"):
    if info.isf.get(key) != want[key]:
      raise ValueError(
        f"ISF checkpoint {path} has {key}={info.isf.get(key)} but the config has {want[key]}"
      )
  if info.attributes is not None and list(info.attributes) != list(config.data.attributes):
    raise ValueError(
      f"ISF checkpoint {path} was trained on attributes {list(info.attributes)} but the config "
      f"has {list(config.data.attributes)}"
    )
  if info.w_dim != w_dim:
    raise ValueError(f"ISF checkpoint {path} has w_dim {info.w_dim} but the data has {w_dim}")
  return module, variables["params"], info


def generator_render(config):
  from isf_jax.training.networks import load_generator

  generator, variables = load_generator(config)

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
  a built-in world, real otherwise); `inception_variant` None: no FID. Missing converted weights
  raise FileNotFoundError naming the conversion command."""
  from isf_jax.demo.worlds import world
  from isf_jax.metrics import arcface, inception

  builtin = world(config.generator.ckpt)
  if weights == "auto":
    weights = "random" if builtin else "real"
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
  if builtin:
    from isf_jax.demo.dataset import data_dir

    classifier = builtin.classifier(data_dir(workdir, config.data.data_dir), config.data.name)
    notes["classifier"] = builtin.describes
  else:
    classifiers = classifiers or {}
    names = list(config.data.attributes)
    invert = {a for a in names if a != "age"} if invert is None else set(invert)
    classifier = real_classifier(names, classifiers, invert)
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


def real_classifier(names, classifiers: dict, invert: set):
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
  saved = load_npz(cache, meta)
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
    for batch, m in tqdm(list(batches(train_wp[:num], batch_size)), desc="FID reference",
                         file=sys.stderr):  # fmt: skip
      features.append(np.asarray(nets.inception(render(batch)))[:m])
  mu, sigma = fid.feature_statistics(np.concatenate(features))
  save_npz(cache, {"mu": mu, "sigma": sigma}, meta)
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
