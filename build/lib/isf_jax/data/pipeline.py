"""Training input pipeline and evaluation loading for latent datasets, with grain and no TF.

Examples are read by random access (`tfds.data_source` on array_record files), so grain can
shuffle, shard and checkpoint by index alone: an iterator's state is just its position.
"""

from __future__ import annotations

import json
from pathlib import Path

import grain
import numpy as np
import tensorflow_datasets as tfds

from isf_jax import images
from isf_jax.data.latents import ATTRIBUTES_FILE

TARGET_MODES = ("dataset", "flip")
READ_BLOCK = 1024
# Decoding is GIL-bound (~0.3 ms per 18x512 example, ~3000/s); more threads do not read
# faster (16 threads: 1.3 ms), so 2 threads just keep 2 batches ready during a train step.
READ_THREADS = 2


def make_train_iterator(
  data_dir,
  name: str,
  split: str,
  global_batch_size: int,
  seed: int,
  process_index: int = 0,
  process_count: int = 1,
  target_mode: str = "dataset",
  with_image: bool = False,
  worker_count: int = 0,
) -> grain.DatasetIterator:
  """An endless iterator of this process's batches, with `get_state`/`set_state`.

  Batches are dicts of numpy arrays: `wp` [B, L, C] float32, `labels` [B, K] float32 and
  `target_labels` [B, K] float32, with B = global_batch_size // process_count; with
  `with_image`, also the stored render `image` [B, S, S, 3] float32 in [-1, 1].

  All processes walk the same global order (the split reshuffled each epoch from `seed`,
  then repeated) and process p takes global positions p, p + count, ...; so within an
  epoch the processes read disjoint examples, and no example is dropped at epoch ends
  (a batch may span two epochs). Target labels are drawn per global position, as the
  official loader does: `dataset` takes the labels of a uniformly drawn example of the
  whole split (possibly the source itself); `flip` flips each of the source's attributes
  with probability 1/2 (independent fair coins, as the official cat2dog rule).

  `worker_count` > 0 decodes in that many worker processes; grain then reads absl flags
  and raises `UnparsedFlagAccessError` unless they were parsed (`absl.app.run`), workers
  re-import `__main__` (spawn), and an iterator alive at exit prints teardown tracebacks
  unless closed. Hence the default 0: decoding in threads of this process.
  """
  if target_mode not in TARGET_MODES:
    raise ValueError(f"target_mode must be one of {TARGET_MODES}, got {target_mode!r}")
  if global_batch_size % process_count:
    raise ValueError(f"global batch {global_batch_size} not divisible by {process_count} hosts")
  if not 0 <= process_index < process_count:
    raise ValueError(f"process_index {process_index} not in [0, {process_count})")
  source = _source(data_dir, name, split, skip=("probs",) if with_image else ("image", "probs"))
  features = source.dataset_info.features
  if with_image and "image" not in features:
    raise ValueError(
      f"dataset {name!r} has no `image` feature: generate it with --image-size, or render "
      "the source images (config.train.source_image='render')"
    )
  num_attributes = features["labels"].shape[0]
  if target_mode == "dataset":
    table = read_column(source, "labels").astype(np.float32)  # [N, K]
    draw = lambda labels, rng: table[rng.integers(len(table))]
  else:
    draw = lambda labels, rng: np.where(rng.random(num_attributes) < 0.5, 1 - labels, labels)

  def to_example(example, rng):
    labels = example["labels"].astype(np.float32)
    out = {"wp": example["wp"], "labels": labels, "target_labels": draw(labels, rng)}
    if with_image:
      out["image"] = images.from_uint8(example["image"])
    return out

  ds = grain.MapDataset.source(source).seed(seed).shuffle().repeat().random_map(to_example)
  ds = ds[process_index::process_count].batch(global_batch_size // process_count)
  ds = ds.to_iter_dataset(grain.ReadOptions(num_threads=READ_THREADS, prefetch_buffer_size=2))
  if worker_count:
    ds = ds.mp_prefetch(grain.MultiprocessingOptions(num_workers=worker_count))
  return iter(ds)


def load_split(data_dir, name: str, split: str) -> dict[str, np.ndarray]:
  """Every example of a split in order: `wp` [N, L, C], `labels` [N, K], `probs` [N, K]."""
  source = _source(data_dir, name, split, skip=("image",))
  keys = [key for key in ("wp", "labels", "probs") if key in source.dataset_info.features]
  return {key: read_column(source, key) for key in keys}


def read_column(source, key: str) -> np.ndarray:
  """One feature of every example, stacked [N, ...], read in blocks."""
  blocks = []
  for start in range(0, len(source), READ_BLOCK):
    examples = source.__getitems__(range(start, min(start + READ_BLOCK, len(source))))
    blocks.append(np.stack([example[key] for example in examples]))
  return np.concatenate(blocks)


def attribute_names(data_dir, name: str) -> list[str]:
  """The attribute names, in label order, of dataset `name` (newest version, or `name:x.y.z`)."""
  dataset_dir = Path(tfds.builder(name, data_dir=str(data_dir)).data_dir)
  return json.loads((dataset_dir / ATTRIBUTES_FILE).read_text())["attribute_names"]


def _source(data_dir, name, split, skip=()):
  """Random-access source; features in `skip` are left undecoded (images cost most)."""
  builder = tfds.builder(name, data_dir=str(data_dir))
  decoders = {key: tfds.decode.SkipDecoding() for key in skip if key in builder.info.features}
  return builder.as_data_source(split=split, decoders=decoders or None)
