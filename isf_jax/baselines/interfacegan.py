"""InterFaceGAN (Shen et al.): one linear SVM boundary per attribute; edit w + alpha * n.

Training follows InterFaceGAN's `utils/manipulator.py:train_boundary` (genforce/interfacegan
@8da3fc0): rank the codes by attribute score, take the top and bottom `chosen` codes (2% of
the set each, at most half) as positives and negatives, train `sklearn.svm.SVC(kernel=
"linear")` on 70% of each, report accuracy on the other 30%, return the unit normal of the
separating hyperplane. The official ISF-GAN StyleGAN2 baseline (`train_boundary.py`,
`interfacegan_edit.py`) trains on the first W+ layer and edits all W+ layers with
w +- 3.0 n; the same here. The normal is oriented so that +n raises the dataset label.

StyleGAN v1 (Set1): InterFaceGAN's released `stylegan_*_w_boundary.npy` files ([1, 512], unit
norm) were trained on W before the truncation (`generate_data.py` saves `w.npy` untruncated) and
edit W, which `synthesize(..., "w")` then truncates (psi 0.7 on W+ layers 0-7,
`TruncationModule`). The official ISF-GAN v1 baseline (`styleganv1/interfacegan_edit.py`) does
the same with w +- 3.0 n. Truncation is affine, so on the dataset's truncated W+ codes that edit
is layer l + 3.0 psi_l n (`truncation_coefficients`), and W is the first untruncated layer.
InterFaceGAN's own `linear_interpolate` instead moves W to distance exactly alpha from the
hyperplane (w + (alpha - w.n) n); the baseline follows the ISF-GAN script.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from isf_jax.files import atomic_open

CHOSEN_RATIO = 0.02
MIN_CHOSEN = 10  # per side: small test datasets (< 500 codes) would give 2% of nothing
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
  chosen = min(max(chosen, MIN_CHOSEN), num // 2)
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


def train_boundaries(
  wp, labels, names, probs=None, seed: int = 0, layer: int = 0, **kwargs
) -> Boundaries:
  """One boundary per attribute, trained on W+ layer `layer` of wp [N, L, C] (the first in the
  official StyleGAN2 baseline; `untruncated_layer` for W under truncation)."""
  wp = np.asarray(wp)
  latents = wp[:, layer] if wp.ndim == 3 else wp  # [N, C]
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


def edit(wp, normal, target, alpha: float = ALPHA, layer_scale=None):
  """w + alpha n towards target 1, w - alpha n towards 0, on every W+ layer.

  wp [N, L, C] (or [N, C]), normal [C], target [N] in {0, 1} -> like wp. layer_scale [L]:
  the step on layer l is alpha * layer_scale[l] (`truncation_coefficients`: a W edit seen
  through the truncation); None: 1 everywhere."""
  sign = 2.0 * target.astype(wp.dtype) - 1.0  # [N]
  sign = sign.reshape(sign.shape + (1,) * (wp.ndim - 1))
  step = alpha * normal.astype(wp.dtype)  # [C]
  if layer_scale is not None:
    step = layer_scale.astype(wp.dtype)[:, None] * step  # [L, C]
  return wp + sign * step


def edit_attributes(wp, normals, targets, asked, alpha: float = ALPHA, layer_scale=None):
  """Several attributes at once: the sum of `edit`'s steps of the attributes asked for.

  wp [N, L, C], normals [K, C], targets [N, K] in {0, 1}, asked [N, K] in {0, 1} (1: set
  attribute k to its target; 0: leave it) -> [N, L, C]; layer_scale as `edit`."""
  signs = asked.astype(wp.dtype) * (2.0 * targets.astype(wp.dtype) - 1.0)  # [N, K]
  step = alpha * (signs @ normals.astype(wp.dtype))[:, None, :]  # [N, 1, C]
  if layer_scale is not None:
    step = step * layer_scale.astype(wp.dtype)[None, :, None]  # [N, L, C]
  return wp + step


def truncation_coefficients(num_layers: int, psi: float, cutoff: int) -> np.ndarray:
  """[L]: psi on W+ layers below `cutoff`, 1 above: how truncation w_avg + psi_l (w - w_avg)
  scales a step in W on each layer (InterFaceGAN `TruncationModule`)."""
  return np.where(np.arange(num_layers) < cutoff, psi, 1.0).astype(np.float32)


def untruncated_layer(num_layers: int, psi: float, cutoff: int) -> int:
  """The W+ layer that holds W itself: 0 without truncation, else `cutoff` (the first layer
  the truncation leaves alone)."""
  if psi == 1.0:
    return 0
  if not 0 <= cutoff < num_layers:
    raise ValueError(
      f"every one of the {num_layers} W+ layers is truncated (cutoff {cutoff}): W is not stored"
    )
  return cutoff


def load_released_boundary(path, w_dim: int | None = None) -> np.ndarray:
  """A boundary file as InterFaceGAN releases it (`np.save` of the unit normal, [1, C], e.g.
  `stylegan_ffhq_age_w_boundary.npy`) -> float32 [C]."""
  try:
    normal = np.load(path, allow_pickle=False)
  except (OSError, ValueError) as e:
    raise ValueError(f"{path}: not a numpy .npy boundary ({e})") from e
  shape = normal.shape
  if normal.ndim == 2 and normal.shape[0] == 1:
    normal = normal[0]
  if normal.ndim != 1 or not np.issubdtype(normal.dtype, np.floating):
    raise ValueError(f"{path}: a boundary is a float array [1, C], got {normal.dtype} {shape}")
  if w_dim is not None and normal.shape[0] != w_dim:
    raise ValueError(f"{path}: boundary has {normal.shape[0]} dimensions, the latents {w_dim}")
  norm = float(np.linalg.norm(normal))
  if not np.isfinite(norm) or abs(norm - 1.0) > 1e-3:
    raise ValueError(f"{path}: a boundary is a unit normal, this one has norm {norm:.6g}")
  return normal.astype(np.float32)


def save_boundaries(path, boundaries: Boundaries, meta: dict) -> None:
  """npz with names, normals, val_accuracy and a JSON `meta`, written atomically."""
  with atomic_open(path, suffix=".npz") as f:
    np.savez(f, names=np.asarray(boundaries.names), normals=boundaries.normals,
             val_accuracy=boundaries.val_accuracy, meta=json.dumps(meta))  # fmt: skip


def load_boundaries(path) -> tuple[Boundaries, dict]:
  with np.load(path) as f:
    boundaries = Boundaries(tuple(str(n) for n in f["names"]), f["normals"], f["val_accuracy"])
    return boundaries, json.loads(str(f["meta"]))
