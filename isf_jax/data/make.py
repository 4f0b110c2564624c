"""Make a latent dataset: sample W+ codes, label them, write resumable chunks, assemble.

Codes are made in chunks; each chunk is a file written atomically under `out_dir/chunks` and
depends only on (seed, split, chunk index), so a killed run resumes where it stopped and N
processes can share the work. When every chunk exists, `assemble` builds the TFDS dataset
(see latents.py). The command is `python -m isf_jax.data.generate`.
"""

from __future__ import annotations

import json
import math
import sys
import zlib
from pathlib import Path

import numpy as np
from tqdm import tqdm

from isf_jax.data.latents import write_dataset
from isf_jax.files import atomic_open

CHUNK_DIR = "chunks"
SPLITS = ("train", "test")


def generate_latents(
  sample_fn,
  label_fn,
  num: int,
  chunk_size: int,
  out_dir,
  process_index: int = 0,
  process_count: int = 1,
  seed: int = 0,
  progress: bool = True,
  *,
  split: str = "train",
  thresholds=0.5,
  invert=False,
  mix_per_code: int = 0,
  mix_start_range: tuple[int, int] | None = None,
  mix_width_range: tuple[int, int] = (2, 10),
  max_chunks: int | None = None,
) -> list[Path]:
  """Write this process's missing chunks of `split`; returns the chunk files it wrote.

  `sample_fn(seed, n)` gives `n` codes wp [n, L, C] (mapping, psi and cutoff are its
  business) from an integer seed unique to (seed, split, chunk); `label_fn(wp)` gives
  (probabilities [n, K], uint8 images [n, S, S, 3] to store with them, or None);
  probabilities are binarised as (p > thresholds) XOR invert (the official rule; both
  broadcast over K). With `mix_per_code` > 0 each code is followed by that many style-mixed
  variants (see `style_mix`), as the official StyleGAN2 set. Chunk i belongs to process
  i % process_count. `max_chunks` stops after writing that many chunks (time-boxed jobs).
  """
  if num < 1 or chunk_size < 1:
    raise ValueError(f"num ({num}) and chunk_size ({chunk_size}) must be positive")
  last_chunk_size = num - (num - 1) // chunk_size * chunk_size
  if mix_per_code and min(chunk_size, last_chunk_size) < 2:
    raise ValueError("style mixing draws donors within a chunk: every chunk needs 2+ codes")
  settings = {
    "num": num,
    "chunk_size": chunk_size,
    "seed": seed,
    "thresholds": np.asarray(thresholds, np.float64).tolist(),
    "invert": np.asarray(invert, bool).tolist(),
    "mix_per_code": mix_per_code,
    "mix_start_range": None if mix_start_range is None else list(mix_start_range),
    "mix_width_range": list(mix_width_range),
  }
  out_dir = Path(out_dir)
  _write_manifest(out_dir, split, settings)
  mine = range(process_index, math.ceil(num / chunk_size), process_count)
  todo = [c for c in mine if not chunk_path(out_dir, split, c).exists()]
  sizes = {c: min(chunk_size, num - c * chunk_size) for c in mine}
  written = []
  with tqdm(
    total=sum(sizes.values()),
    initial=sum(sizes.values()) - sum(sizes[c] for c in todo),
    unit="code",
    desc=f"{split} chunks",
    file=sys.stderr,
    disable=not progress,
  ) as bar:
    for chunk in todo[:max_chunks]:
      chunk_seed = derive_seed(seed, split, chunk)
      wp = np.asarray(sample_fn(chunk_seed, sizes[chunk]), np.float32)  # [n, L, C]
      arrays = {}
      if mix_per_code:
        rng = np.random.default_rng([chunk_seed, 1])  # a stream apart from sample_fn's
        wp, arrays = style_mix(wp, rng, mix_per_code, mix_start_range, mix_width_range)
      probs, rendered = label_fn(wp)
      if rendered is not None:
        arrays["image"] = rendered  # [M, S, S, 3] uint8
      probs = np.asarray(probs, np.float32)  # [M, K]
      labels = binarise(probs, thresholds, invert)
      _save_npz(chunk_path(out_dir, split, chunk), wp=wp, probs=probs, labels=labels, **arrays)
      written.append(chunk_path(out_dir, split, chunk))
      bar.update(sizes[chunk])
  return written


def assemble(
  out_dir, data_dir, name: str, attribute_names, with_probs: bool = True, version="1.0.0"
) -> Path:
  """Collect every split's chunks, in order, into dataset `name`; returns its directory.

  Rendered images are included when the chunks hold them. Fails with the number of missing
  chunks if any split is unfinished.
  """
  out_dir = Path(out_dir)
  manifests = {split: _read_manifest(out_dir, split) for split in SPLITS}
  manifests = {split: m for split, m in manifests.items() if m is not None}
  if not manifests:
    raise FileNotFoundError(f"no generated splits in {out_dir}")
  paths = {}
  for split, manifest in manifests.items():
    count = math.ceil(manifest["num"] / manifest["chunk_size"])
    paths[split] = [chunk_path(out_dir, split, c) for c in range(count)]
    missing = sum(not p.exists() for p in paths[split])
    if missing:
      raise FileNotFoundError(f"{split}: {missing} of {count} chunks missing in {out_dir}")
  with np.load(paths[next(iter(paths))][0]) as first:
    _, num_layers, w_dim = first["wp"].shape
    if first["labels"].shape[1] != len(attribute_names):
      raise ValueError(f"chunks have {first['labels'].shape[1]} attributes, not {attribute_names}")
    with_image = "image" in first
  keys = ("wp", "labels") + ("probs",) * with_probs + ("image",) * with_image
  splits = {split: _chunk_examples(p, keys) for split, p in paths.items()}
  return write_dataset(
    data_dir, name, splits, attribute_names, num_layers, w_dim, with_probs, with_image, version
  )


def style_mix(wp, rng, per_code, start_range=None, width_range=(2, 10)):
  """Each code followed by `per_code` variants with layers from a random other code.

  A variant copies layers [start, min(start + width, L)) of a donor drawn from the other
  codes, start ~ U{start_range} (default U{0..L-1}) and width ~ U{width_range}, both
  inclusive (official StyleGAN2 set: 7 variants, U{0..17}, U{2..10}). Returns the codes
  [n * (1 + per_code), L, C] and, per row, `mix_source` (donor index, -1 for originals),
  `mix_start` and `mix_stop` (0, 0 for originals).
  """
  n, num_layers, _ = wp.shape
  lo, hi = (0, num_layers - 1) if start_range is None else start_range
  rows = per_code + 1
  source = np.full((n, rows), -1)
  start = np.zeros((n, rows), np.int64)
  stop = np.zeros((n, rows), np.int64)
  donors = rng.integers(0, n - 1, (n, per_code))
  source[:, 1:] = donors + (donors >= np.arange(n)[:, None])  # skip the code itself
  start[:, 1:] = rng.integers(lo, hi + 1, (n, per_code))
  width = rng.integers(width_range[0], width_range[1] + 1, (n, per_code))
  stop[:, 1:] = np.minimum(start[:, 1:] + width, num_layers)
  mixed = np.repeat(wp, rows, axis=0)  # [n * rows, L, C]
  layer = np.arange(num_layers)
  take = (layer >= start.reshape(-1, 1)) & (layer < stop.reshape(-1, 1))  # [n * rows, L]
  donor_wp = wp[np.maximum(source.reshape(-1), 0)]  # [n * rows, L, C]
  mixed = np.where(take[..., None], donor_wp, mixed)
  return mixed, {
    "mix_source": source.reshape(-1),
    "mix_start": start.reshape(-1),
    "mix_stop": stop.reshape(-1),
  }


def binarise(probs, thresholds, invert) -> np.ndarray:
  """Official labels: (p > threshold) XOR invert, per attribute. uint8 [N, K]."""
  return ((np.asarray(probs) > np.asarray(thresholds)) ^ np.asarray(invert, bool)).astype(np.uint8)


def derive_seed(seed: int, split: str, chunk: int) -> int:
  """A 32-bit seed for one chunk, so chunks are independent of which process makes them."""
  return int(np.random.SeedSequence([seed, zlib.crc32(split.encode()), chunk]).generate_state(1)[0])


def chunk_path(out_dir, split: str, chunk: int) -> Path:
  return Path(out_dir) / CHUNK_DIR / f"{split}-{chunk:05d}.npz"


def _chunk_examples(paths, keys):
  for path in paths:
    with np.load(path) as chunk:
      arrays = {key: chunk[key] for key in keys}
    for i in range(len(arrays["wp"])):
      yield {key: value[i] for key, value in arrays.items()}


def _write_manifest(out_dir: Path, split: str, settings: dict) -> None:
  """Record a split's settings; resuming with different ones would mix incompatible chunks."""
  existing = _read_manifest(out_dir, split)
  if existing is not None and existing != settings:
    raise ValueError(f"{out_dir} holds {split} chunks made with {existing}, not {settings}")
  with atomic_open(out_dir / f"{split}.json", "w") as f:
    f.write(json.dumps(settings, indent=1) + "\n")


def _read_manifest(out_dir: Path, split: str) -> dict | None:
  path = out_dir / f"{split}.json"
  return json.loads(path.read_text()) if path.exists() else None


def _save_npz(path: Path, **arrays) -> None:
  with atomic_open(path, suffix=".npz") as f:
    np.savez(f, **arrays)


def generator_fns(
  config, variables, label_fn, psi=1.0, cutoff=None, batch_size=32, image_size=None
):
  """(sample_fn, label_fn on wp) for a generator and a `label_fn(images) -> probs`.

  z ~ N(0, I) from numpy's default_rng(chunk seed); images are rendered with constant
  noise, so labels depend on the code alone, and handed over as [N, H, W, 3] in [-1, 1].
  The label function returns (probs, images): the renders box-downsampled to `image_size`
  as uint8 (the dataset's `image` feature, a training source image), or None without it.
  """
  import jax

  from isf_jax import images
  from isf_jax.generators import generator_module
  from isf_jax.losses import box_downsample

  model = generator_module(config)  # StyleGAN2 or v1
  map_z = jax.jit(lambda v, z: model.apply(v, z, psi, cutoff, method="map"))
  render = jax.jit(lambda v, wp: model.apply(v, wp, method="synthesize"))
  shrink = jax.jit(lambda x: box_downsample(x, image_size))

  def sample_fn(seed, n):
    z = np.random.default_rng(seed).standard_normal((n, config.z_dim), np.float32)
    return np.asarray(map_z(variables, z))  # [n, L, C]

  def label_wp(wp):
    probs, stored = [], []
    for i in range(0, len(wp), batch_size):
      x = render(variables, wp[i : i + batch_size])  # [n, R, R, 3]
      probs.append(label_fn(np.asarray(x)))
      if image_size:
        stored.append(images.to_uint8(shrink(x)))
    # [N, K], and [N, S, S, 3] uint8 or None
    return np.concatenate(probs), (np.concatenate(stored) if image_size else None)

  return sample_fn, label_wp
