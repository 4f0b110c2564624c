"""Attribute classifiers for the faces world, in the format of NVIDIA's CelebA-HQ classifiers.

One `AttributeClassifier` (isf_jax/metrics/attribute_classifier.py, a small width) per
attribute, trained on fresh procedural renders (`isf_jax.demo.faces`) and stored like a
converted `celebahq-classifier-XX-name.pkl`: a `weights.save_network` directory whose meta is
{"network": "attribute_classifier", "architecture", "attribute", "index", "source"} plus the
labelling rule the latent-dataset generation applies, "threshold" and "invert":
label = (sigmoid(logit) > threshold) XOR invert. The classifiers are trained with the "isf"
input convention (the one `isf_jax.evaluate` loads NVIDIA's files with) and with
sigmoid(logit) = P(attribute present), so invert is False and threshold 0.5 for all of them.

`face_probabilities(images)` is the `--label-fn` for `python -m isf_jax.data.generate`; it
reads the committed classifiers from `isf_jax/demo/assets/classifiers/` (or the directory
named by `$ISF_JAX_FACE_CLASSIFIERS`).
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

from isf_jax.demo import faces
from isf_jax.images import from_uint8
from isf_jax.metrics import weights
from isf_jax.metrics.attribute_classifier import AttributeClassifier, load_attribute_classifier
from isf_jax.metrics.attribute_classifier import preprocess as classifier_input

ARCHITECTURE = {"resolution": 32, "fmap_base": 96, "fmap_decay": 1.0, "fmap_max": 64}
CONVENTION = "isf"
ASSETS = Path(__file__).parent / "assets" / "classifiers"
MAKE_COMMAND = "python -m isf_jax.train_face_classifiers --out isf_jax/demo/assets/classifiers"


def classifier_dir(root, index: int) -> Path:
  return Path(root) / f"{index:02d}-{faces.ATTRIBUTES[index]}"


def augment(images, key):
  """Random x-flip and Gaussian pixel noise (sigma 0.04) on [N, R, R, 3] in [-1, 1]: the
  generator's samples are close to, not exactly, the renders."""
  flip_key, noise_key = jax.random.split(key)
  flip = jax.random.bernoulli(flip_key, 0.5, (images.shape[0], 1, 1, 1))
  images = jnp.where(flip, images[:, :, ::-1], images)
  return images + 0.04 * jax.random.normal(noise_key, images.shape)


def loss_fn(params, model, images, labels):
  """Mean binary cross-entropy of logits [N] against labels [N] (1 = attribute present)."""
  logits = model.apply({"params": params}, classifier_input(images, model.resolution, CONVENTION))
  return jnp.mean(optax.sigmoid_binary_cross_entropy(logits, labels))


def train_step(params, opt_state, images, labels, key, *, model, tx):
  """One Adam step on all attributes' classifiers at once (params stacked on a leading axis).

  images [N, R, R, 3] in [-1, 1], labels [N, K]."""
  images = augment(images, key)
  loss, grads = jax.vmap(
    jax.value_and_grad(loss_fn), in_axes=(0, None, None, 1)
  )(params, model, images, labels.astype(jnp.float32))  # fmt: skip
  updates, opt_state = tx.update(grads, opt_state, params)
  return optax.apply_updates(params, updates), opt_state, loss  # loss [K]


def train(
  train_seeds, steps: int, batch_size: int = 64, lr: float = 2e-3, seed: int = 0, log=print
):
  """Stacked params ([K, ...] leaves) of one classifier per attribute, trained on the renders of
  `train_seeds` at the classifier's resolution."""
  model = AttributeClassifier(**ARCHITECTURE)
  images, labels = faces.render(train_seeds, ARCHITECTURE["resolution"])
  keys = jax.random.split(jax.random.key(seed), len(faces.ATTRIBUTES) + 1)
  dummy = jnp.zeros((1, model.resolution, model.resolution, 3))
  params = jax.vmap(lambda k: model.init(k, dummy)["params"])(keys[1:])
  tx = optax.adam(optax.cosine_decay_schedule(lr, steps))
  opt_state = tx.init(params)
  step_fn = jax.jit(functools.partial(train_step, model=model, tx=tx), donate_argnums=(0, 1))
  rng = np.random.default_rng(seed)
  for step in range(steps):
    pick = rng.integers(0, len(images), batch_size)
    params, opt_state, loss = step_fn(
      params, opt_state, from_uint8(images[pick]), labels[pick], jax.random.fold_in(keys[0], step)
    )
    if (step + 1) % 100 == 0 or step + 1 == steps:
      log(f"step {step + 1}/{steps} loss " + " ".join(f"{v:.4f}" for v in np.asarray(loss)))
  return params


def unstack(params, index: int):
  return jax.tree.map(lambda leaf: np.asarray(leaf[index]), params)


def save(root, params, overwrite: bool = False) -> list[Path]:
  """One network directory per attribute under `root` (XX-name, as NVIDIA's files are named)."""
  paths = []
  for index, name in enumerate(faces.ATTRIBUTES):
    meta = {
      "network": "attribute_classifier",
      "architecture": ARCHITECTURE,
      "source": "isf_jax.demo.classifier (trained on procedural faces)",
      "index": index,
      "attribute": name,
      "convention": CONVENTION,
      "threshold": 0.5,
      "invert": False,
    }
    path = classifier_dir(root, index)
    weights.save_network(path, {"params": unstack(params, index)}, meta, overwrite=overwrite)
    paths.append(path)
  return paths


def _root(root=None) -> Path:
  return Path(root or os.environ.get("ISF_JAX_FACE_CLASSIFIERS") or ASSETS)


@functools.lru_cache(maxsize=4)
def load(root=None):
  """(logit_fns, thresholds [K], invert [K]) of the attribute classifiers under `root`."""
  root = _root(root)
  fns, thresholds, invert = [], [], []
  for index in range(len(faces.ATTRIBUTES)):
    path = classifier_dir(root, index)
    if not (path / "config.json").is_file():
      raise FileNotFoundError(f"no face classifier at {path}; make them with `{MAKE_COMMAND}`")
    meta = json.loads((path / "config.json").read_text())
    fns.append(load_attribute_classifier(path, meta.get("convention", CONVENTION)))
    thresholds.append(float(meta["threshold"]))
    invert.append(bool(meta["invert"]))
  return fns, np.asarray(thresholds), np.asarray(invert)


def face_probabilities(images, root=None) -> np.ndarray:
  """images [N, H, W, 3] in [-1, 1] -> sigmoid(logit) per attribute, float32 [N, K]."""
  fns, _, _ = load(None if root is None else str(root))
  logits = np.stack([np.asarray(fn(jnp.asarray(images))) for fn in fns], axis=1)
  return (0.5 + 0.5 * np.tanh(0.5 * logits)).astype(np.float32)  # sigmoid without overflow


def face_labels(images, root=None) -> np.ndarray:
  """images [N, H, W, 3] in [-1, 1] -> int labels [N, K] by each classifier's own rule."""
  _, thresholds, invert = load(None if root is None else str(root))
  probs = face_probabilities(images, root)
  return ((probs > thresholds) ^ invert).astype(np.int32)
