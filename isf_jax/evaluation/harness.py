"""The per-code measurements of one (method, attribute, direction), batch by batch.

Distances go through the metric functions the tests specify (`ppl.path_distances`,
`diversity.pairwise_diversity`, `ppl.ppl_distances`, `identity.cosine_similarity`); the
harness only renders, batches and jits."""

from __future__ import annotations

import sys
from collections.abc import Callable

import jax
import numpy as np
from tqdm import tqdm

from isf_jax.evaluation.batching import batches, pad
from isf_jax.evaluation.protocol import DIRECTIONS, LPIPS_SIZE, MetricNetworks, Protocol
from isf_jax.metrics import diversity, identity, ppl

SOURCE_CACHE_BYTES = 256 * 2**20  # metric-size source renders kept across directions


def _to_metric_size(images):
  return ppl.downsample_to(images, LPIPS_SIZE)


class Harness:
  """Jitted per-batch computations shared by every method.

  Every network is compiled once, for one batch shape: paths and sample pairs are looped on
  the host over batches of `batch_size` images, which keeps the device memory of 20 frames
  small (they are kept at LPIPS size) and the compile time of a CI run short. A harness
  scores one set of test codes: it keeps their source renders across directions."""

  def __init__(self, render: Callable, nets: MetricNetworks, protocol: Protocol):
    self.nets = nets
    self.protocol = protocol
    self.render = jax.jit(render)
    self.lerp = jax.jit(ppl.lerp)
    self.to_metric_size = jax.jit(_to_metric_size)
    self.lpips = jax.jit(nets.lpips)
    self.alphas = ppl.interpolation_alphas(protocol.num_frames) if protocol.num_frames else None
    self.ppl_images = jax.jit(lambda x: ppl.ppl_images(x, protocol.ppl_crop))
    self.lpips_vgg = jax.jit(nets.lpips_vgg) if nets.lpips_vgg is not None else None
    self._sources, self._cached_bytes = {}, 0  # batch start -> metric-size source renders

  def metric_images(self, wp):
    """Renders of wp [B, L, C] at LPIPS size."""
    return self.to_metric_size(self.render(wp))

  def source_images(self, start: int, batch):
    """Metric-size renders of the source codes batch [B, L, C] that start at row `start`:
    every direction needs them, so they are kept while they fit SOURCE_CACHE_BYTES."""
    if start in self._sources:
      return self._sources[start]
    images = self.metric_images(batch)
    if self._cached_bytes + images.nbytes <= SOURCE_CACHE_BYTES:
      self._sources[start] = images
      self._cached_bytes += images.nbytes
    return images

  def path(self, wp, wp_edit):
    """(steps [B, F - 1], shortest path [B]) of the frames from wp to wp_edit."""
    frames = [self.metric_images(self.lerp(wp, wp_edit, a)) for a in self.alphas]
    return ppl.path_distances(self.lpips, frames)

  def ppl(self, wp, wp_edit, t):
    """StyleGAN PPL distances [B] at points t [B] of the path from wp to wp_edit."""
    eps = self.protocol.ppl_eps
    a = self.ppl_images(self.render(self.lerp(wp, wp_edit, t)))
    b = self.ppl_images(self.render(self.lerp(wp, wp_edit, t + eps)))
    return ppl.ppl_distances(self.lpips_vgg, a, b, eps)

  def pairwise(self, wp_samples):
    """Mean LPIPS over sample pairs i < j per input [B]; wp_samples: S codes [B, L, C]."""
    return diversity.pairwise_diversity(self.lpips, [self.metric_images(w) for w in wp_samples])

  def source_outputs(self, wp) -> dict:
    """ArcFace embeddings and classifier labels of the source images [N, ...]."""
    out = {"embedding": [], "labels": []}
    for batch, m in batches(wp, self.protocol.batch_size):
      images = self.render(batch)
      if self.nets.arcface is not None:
        out["embedding"].append(np.asarray(self.nets.arcface(images))[:m])
      if self.nets.classifier is not None:
        out["labels"].append(np.asarray(self.nets.classifier(images))[:m])
    return {k: np.concatenate(v) for k, v in out.items() if v}

  def batch(self, edit, batch, targets, asked, key, start: int, with_diversity: bool) -> dict:
    """Per-code arrays [B] of one batch of codes [B, L, C] (rows start...) edited towards
    targets [B, K] for the attributes `asked` [B, K]; "labels": the classifier's [B, K]."""
    out = {}
    edited = edit(batch, targets, asked, jax.random.fold_in(key, 0))
    images = self.render(edited)
    out["content"] = self.lpips(self.source_images(start, batch), self.to_metric_size(images))
    if self.nets.inception is not None:
      out["features"] = self.nets.inception(images)
    if self.nets.arcface is not None:
      out["embedding"] = self.nets.arcface(images)
    if self.nets.classifier is not None:
      out["labels"] = np.asarray(self.nets.classifier(images))
    if self.alphas is not None:
      out["steps"], out["shortest"] = self.path(batch, edited)
    if self.lpips_vgg is not None:
      t = jax.random.uniform(jax.random.fold_in(key, 1), (len(batch),))
      out["ppl"] = self.ppl(batch, edited, t)
    if with_diversity:
      keys = [jax.random.fold_in(key, 100 + s) for s in range(self.protocol.diversity_samples)]
      out["diversity"] = self.pairwise([edit(batch, targets, asked, s) for s in keys])
    return out

  def direction(self, edit, wp, labels, source, k: int, value: int, key, bar) -> dict:
    """Per-code arrays of one (method, attribute, direction)."""
    p = self.protocol
    out = {}
    targets_all = np.asarray(labels, np.float32).copy()
    targets_all[:, k] = value
    asked = np.zeros((p.batch_size, targets_all.shape[1]), np.float32)
    asked[:, k] = 1
    for start in range(0, p.num_test, p.batch_size):
      stop = min(start + p.batch_size, p.num_test)
      batch, m = pad(wp[start:stop], p.batch_size)
      targets, _ = pad(targets_all[start:stop], p.batch_size)
      with_diversity = start < p.diversity_inputs
      batch_key = jax.random.fold_in(key, start)
      arrays = self.batch(edit, batch, targets, asked, batch_key, start, with_diversity)
      if "labels" in arrays:
        predicted = arrays.pop("labels")[:m]  # [m, K]
        arrays["predicted"] = predicted[:, k]
        arrays["kept"] = kept_fraction(predicted, source["labels"][start:stop], k)
      if "embedding" in arrays:
        embedding = np.asarray(arrays.pop("embedding"))[:m]
        arrays["frs"] = identity.cosine_similarity(source["embedding"][start:stop], embedding)
      if with_diversity:
        arrays["diversity"] = arrays["diversity"][: min(m, p.diversity_inputs - start)]
      for name, array in arrays.items():
        out.setdefault(name, []).append(np.asarray(array)[:m])
      bar.update(stop - start)
    arrays = {name: np.concatenate(v) for name, v in out.items()}
    arrays["flipped"] = np.asarray(labels)[: p.num_test, k] != value
    if "labels" in source:
      arrays["source_predicted"] = source["labels"][: p.num_test, k]
    return arrays


def kept_fraction(predicted, source_labels, asked) -> np.ndarray:
  """[N]: the share of the attributes not asked for whose predicted label [N, K] is the
  source's [N, K] (NaN when every attribute was asked for); asked: an attribute index or a
  0/1 mask [N, K]."""
  if np.ndim(asked) == 0:
    asked = np.eye(predicted.shape[1], dtype=bool)[asked][None]  # [1, K]
  kept = ~np.asarray(asked, bool)
  same = (np.asarray(predicted) == np.asarray(source_labels)) & kept
  with np.errstate(invalid="ignore"):
    return same.sum(axis=1) / kept.sum(axis=1)


def score_directions(methods, render, nets, wp, labels, attributes, names, protocol,
                     store=None, harness=None, source=None) -> dict:  # fmt: skip
  """{(method name, attribute, value): per-code arrays} for every method, attribute in
  `names` and direction. wp [N, L, C] and labels [N, K] are the first num_test test codes.
  With a `store` (`partial.PartialResults`), finished ones are read back and new ones saved.
  A `harness` and its `source_outputs(wp)` may be given to share them with other scores.
  """
  jobs = [(method, name, value) for method in methods for name in names for value in DIRECTIONS]
  done = {}
  if store is not None:
    for method, name, value in jobs:
      saved = store.load(method.name, name, value)
      if saved is not None:
        done[method.name, name, value] = saved
  todo = [job for job in jobs if (job[0].name, job[1], job[2]) not in done]
  if not todo:
    return done
  harness = harness or Harness(render, nets, protocol)
  source = harness.source_outputs(wp) if source is None else source
  edits = {m.name: jax.jit(m.edit) for m in methods}
  base_key = jax.random.key(protocol.seed)
  with tqdm(total=len(todo) * protocol.num_test, unit="code", desc="evaluate",
            file=sys.stderr, disable=jax.process_index() != 0) as bar:  # fmt: skip
    for method, name, value in todo:
      bar.set_postfix_str(f"{method.name} {name}->{value}")
      k = attributes.index(name)
      key = jax.random.fold_in(jax.random.fold_in(base_key, k), value)
      arrays = harness.direction(edits[method.name], wp, labels, source, k, value, key, bar)
      if store is not None:
        store.save(method.name, name, value, arrays)
      done[method.name, name, value] = arrays
  return done
