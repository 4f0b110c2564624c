"""InterFaceGAN (Shen et al.): one linear SVM boundary per attribute; edit w + alpha * n.

Training follows InterFaceGAN's `utils/manipulator.py:train_boundary` (genforce/interfacegan
@8da3fc0): rank the codes by attribute score, take the top and bottom `chosen` codes (2% of
the set each, at most half) as positives and negatives, train `sklearn.svm.SVC(kernel=
"linear")` on 70% of each, report accuracy on the other 30%, return the unit normal of the
separating hyperplane. The official ISF-GAN StyleGAN2 baseline (`train_boundary.py`,
`interfacegan_edit.py`) trains on the first W+ layer and edits all W+ layers with
w +- 3.0 n; the same here. The normal is oriented so that +n raises the dataset label.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from isf_jax.files import atomic_open

CHOSEN_RATIO = 0.02
SPLIT_RATIO = 0.7
ALPHA = 3.0


@dataclasses.dataclass(frozen=True)
class Boundaries:
  names: tuple[str, ...]
  normals: np.ndarray  # [K, C], unit rows
  val_accuracy: np.ndarray  # [K], on the held-back 30% of the chosen codes


def train_boundary(latents, scores, chosen_num_or_ratio=CHOSEN_RATIO, split_ratio=SPLIT_RATIO,
                   seed: int = 0) -> tuple[np.ndarray, float]:  # fmt: skip
  """(unit normal [C], validation accuracy) of a linear SVM separating the highest-scored
  codes from the lowest-scored ones. latents [N, C], scores [N] (higher = positive)."""
  from sklearn import svm

  latents = np.asarray(latents, np.float64)
  scores = np.asarray(scores, np.float64)
  if latents.ndim != 2 or scores.shape != latents.shape[:1]:
    raise ValueError(f"need latents [N, C] and scores [N], got {latents.shape}, {scores.shape}")
  if chosen_num_or_ratio <= 0:
    raise ValueError(f"chosen_num_or_ratio must be positive, got {chosen_num_or_ratio}")
  order = np.argsort(-scores, kind="stable")  # highest score first
  latents = latents[order]
  num = len(latents)
  chosen = int(num * chosen_num_or_ratio) if chosen_num_or_ratio <= 1 else int(chosen_num_or_ratio)
  chosen = min(chosen, num // 2)
  train_num = int(chosen * split_ratio)
  if train_num < 1:
    raise ValueError(f"{num} codes give no training pairs at ratio {chosen_num_or_ratio}")
  rng = np.random.default_rng(seed)
  positive, negative = latents[:chosen], latents[num - chosen :]
  pos_idx, neg_idx = rng.permutation(chosen), rng.permutation(chosen)
  train = np.concatenate([positive[pos_idx[:train_num]], negative[neg_idx[:train_num]]])
  train_labels = np.repeat([1, 0], train_num)
  classifier = svm.SVC(kernel="linear").fit(train, train_labels)
  val = np.concatenate([positive[pos_idx[train_num:]], negative[neg_idx[train_num:]]])
  val_labels = np.repeat([1, 0], chosen - train_num)
  val_accuracy = float(np.mean(classifier.predict(val) == val_labels)) if len(val) else float("nan")
  normal = classifier.coef_.reshape(-1)
  return (normal / np.linalg.norm(normal)).astype(np.float32), val_accuracy


def label_scores(labels, probs=None) -> np.ndarray:
  """Scores to rank codes by, [N, K]: the classifier outputs if the dataset kept them (signed
  so that higher means label 1: labels may be (p > t) XOR invert), else the labels."""
  labels = np.asarray(labels, np.float64)
  if probs is None:
    return labels
  probs = np.asarray(probs, np.float64)
  means = [probs[labels[:, k] == 1, k].mean() - probs[labels[:, k] == 0, k].mean()
           if 0 < labels[:, k].mean() < 1 else 1.0 for k in range(labels.shape[1])]  # fmt: skip
  return probs * np.sign(np.asarray(means))


def train_boundaries(wp, labels, names, probs=None, seed: int = 0, **kwargs) -> Boundaries:
  """One boundary per attribute, trained on the first W+ layer of wp [N, L, C]."""
  wp = np.asarray(wp)
  latents = wp[:, 0] if wp.ndim == 3 else wp  # [N, C]
  scores = label_scores(labels, probs)
  if scores.shape[1] != len(names):
    raise ValueError(f"labels have {scores.shape[1]} attributes but names are {list(names)}")
  normals, accuracies = [], []
  for k in range(len(names)):
    normal, acc = train_boundary(latents, scores[:, k], seed=seed + k, **kwargs)
    # +n must raise label k: SVM label 1 is the top score, already oriented above.
    normals.append(normal)
    accuracies.append(acc)
  return Boundaries(tuple(names), np.stack(normals), np.asarray(accuracies))


def edit(wp, normal, target, alpha: float = ALPHA):
  """w + alpha n towards target 1, w - alpha n towards 0, on every W+ layer.

  wp [N, L, C] (or [N, C]), normal [C], target [N] in {0, 1} -> like wp."""
  sign = 2.0 * target.astype(wp.dtype) - 1.0  # [N]
  sign = sign.reshape(sign.shape + (1,) * (wp.ndim - 1))
  return wp + sign * alpha * normal.astype(wp.dtype)


def save_boundaries(path, boundaries: Boundaries, meta: dict) -> None:
  """npz with names, normals, val_accuracy and a JSON `meta`, written atomically."""
  with atomic_open(path, suffix=".npz") as f:
    np.savez(f, names=np.asarray(boundaries.names), normals=boundaries.normals,
             val_accuracy=boundaries.val_accuracy, meta=json.dumps(meta))  # fmt: skip


def load_boundaries(path) -> tuple[Boundaries, dict]:
  with np.load(path) as f:
    boundaries = Boundaries(tuple(str(n) for n in f["names"]), f["normals"], f["val_accuracy"])
    return boundaries, json.loads(str(f["meta"]))
