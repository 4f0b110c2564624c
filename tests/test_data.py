"""Latent datasets: write/read, official import, resumable generation, grain pipeline."""

import json
import os
import sys

import numpy as np
import pytest
import tensorflow_datasets as tfds

from isf_jax import images
from isf_jax.data import generate as generate_command
from isf_jax.data import latents, pipeline
from isf_jax.data import make as generate
from isf_jax.demo import demo_generator_config

L, C, K = 4, 8, 3
NAMES = ["male", "glasses", "old"]


def tiny_split(num, seed, with_image=True):
  rng = np.random.default_rng(seed)
  split = {
    "wp": rng.normal(size=(num, L, C)).astype(np.float32),
    "labels": rng.integers(0, 2, (num, K)).astype(np.uint8),
    "probs": rng.random((num, K)).astype(np.float32),
  }
  if with_image:
    split["image"] = rng.integers(0, 256, (num, 16, 16, 3), dtype=np.uint8)
  return split


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
  """(data_dir, splits) of a 40 + 10 example dataset with probs and 16x16 images."""
  data_dir = tmp_path_factory.mktemp("data")
  splits = {"train": tiny_split(40, 0), "test": tiny_split(10, 1)}
  latents.write_dataset(data_dir, "tiny", splits, NAMES, L, C, with_probs=True, with_image=True)
  return data_dir, splits


def test_write_read_back_exactly(tiny):
  data_dir, splits = tiny
  for split, arrays in splits.items():
    loaded = pipeline.load_split(data_dir, "tiny", split)
    assert set(loaded) == {"wp", "labels", "probs"}
    for key, value in loaded.items():
      np.testing.assert_array_equal(value, arrays[key])
    source = tfds.data_source("tiny", data_dir=str(data_dir), split=split)
    np.testing.assert_array_equal(source[3]["image"], arrays["image"][3])
  assert pipeline.attribute_names(data_dir, "tiny") == NAMES
  assert sorted(os.listdir(data_dir)) == ["tiny"]  # no temporary build folder left
  assert "tensorflow" not in sys.modules


def test_rewrite_and_failed_write_leave_nothing(tiny, tmp_path):
  data_dir, splits = tiny
  with pytest.raises(FileExistsError):
    latents.write_dataset(data_dir, "tiny", splits, NAMES, L, C, True, True)
  bad = tiny_split(5, 2, with_image=False)
  bad["labels"][4] = 2
  with pytest.raises(ValueError, match="labels must be 0 or 1"):
    latents.write_dataset(tmp_path, "bad", {"train": bad}, NAMES, L, C, with_probs=True)
  assert os.listdir(tmp_path) == []


def write_official_split(root, split, wp, labels, attr_name, shuffle_rows):
  (root / split).mkdir(parents=True)
  np.save(root / split / "wp.npy", wp)
  rows = [f"{i:06d}.png\t" + "\t".join(map(str, row)) for i, row in enumerate(labels)]
  if shuffle_rows:
    rows = rows[::-1]  # the importer must sort by filename
  text = "\n".join([str(len(rows)), "\t".join(NAMES), *rows]) + "\n"
  (root / attr_name).write_text(text)


def test_import_official(tmp_path):
  src = tmp_path / "src"
  train, test = tiny_split(12, 3, False), tiny_split(5, 4, False)
  write_official_split(
    src, "train", train["wp"][:, None], train["labels"], "list_attr_celeba-train.txt", True
  )
  write_official_split(src, "test", test["wp"], test["labels"], "test/list_attr_ffhq-test.txt", 0)
  latents.import_official(src, tmp_path / "data", "official")
  for split, arrays in (("train", train), ("test", test)):
    loaded = pipeline.load_split(tmp_path / "data", "official", split)
    assert set(loaded) == {"wp", "labels"}
    np.testing.assert_array_equal(loaded["wp"], arrays["wp"])
    np.testing.assert_array_equal(loaded["labels"], arrays["labels"])
  assert pipeline.attribute_names(tmp_path / "data", "official") == NAMES


def test_import_official_errors(tmp_path):
  split = tiny_split(6, 5, False)
  write_official_split(tmp_path, "train", split["wp"][:5], split["labels"], "x.txt", False)
  with pytest.raises(FileNotFoundError, match="list_attr"):
    latents.import_official(tmp_path, tmp_path / "data", "official")
  os.rename(tmp_path / "x.txt", tmp_path / "list_attr_celeba-train.txt")
  with pytest.raises(ValueError, match="has 6 rows but .* has 5"):
    latents.import_official(tmp_path, tmp_path / "data", "official")
  assert not (tmp_path / "data" / "official").exists()


def sample_fn(seed, n):
  return np.random.default_rng(seed).normal(size=(n, L, C)).astype(np.float32)


def label_fn(wp):
  return 1 / (1 + np.exp(-wp[:, 0, :K])), None  # [n, K], no images


GEN = dict(split="train", thresholds=[0.5, 0.6, 0.7], invert=[True, False, False])


def read_chunks(out_dir):
  chunk_dir = out_dir / generate.CHUNK_DIR
  return {
    name: dict(np.load(chunk_dir / name)) for name in sorted(os.listdir(chunk_dir))
  }  # {file: {array name: array}}


def assert_same_chunks(a, b):
  assert a.keys() == b.keys()
  for name in a:
    assert a[name].keys() == b[name].keys()
    for key in a[name]:
      np.testing.assert_array_equal(a[name][key], b[name][key])


def test_generation_resumes_identically(tmp_path):
  kw = dict(GEN, mix_per_code=2, progress=False)
  generate.generate_latents(sample_fn, label_fn, 11, 3, tmp_path / "full", **kw)
  written = generate.generate_latents(
    sample_fn, label_fn, 11, 3, tmp_path / "cut", max_chunks=2, **kw
  )
  assert len(written) == 2
  rest = generate.generate_latents(sample_fn, label_fn, 11, 3, tmp_path / "cut", **kw)
  assert len(rest) == 2
  full = read_chunks(tmp_path / "full")
  assert list(full) == [f"train-{c:05d}.npz" for c in range(4)]
  assert_same_chunks(full, read_chunks(tmp_path / "cut"))
  chunk = full["train-00003.npz"]  # 2 codes, each with 2 mixed variants
  assert chunk["wp"].shape == (6, L, C)
  np.testing.assert_array_equal(chunk["probs"], label_fn(chunk["wp"])[0])
  np.testing.assert_array_equal(
    chunk["labels"], generate.binarise(chunk["probs"], GEN["thresholds"], GEN["invert"])
  )
  with pytest.raises(ValueError, match="made with"):
    generate.generate_latents(sample_fn, label_fn, 12, 3, tmp_path / "cut", **kw)


def test_process_split_covers_each_chunk_once(tmp_path):
  kw = dict(GEN, progress=False)
  generate.generate_latents(sample_fn, label_fn, 10, 2, tmp_path / "one", **kw)
  written = [
    generate.generate_latents(sample_fn, label_fn, 10, 2, tmp_path / "two", p, 2, **kw)
    for p in range(2)
  ]
  names = sorted(path.name for paths in written for path in paths)
  assert names == [f"train-{c:05d}.npz" for c in range(5)]
  assert [p.name for p in written[1]] == ["train-00001.npz", "train-00003.npz"]
  assert_same_chunks(read_chunks(tmp_path / "one"), read_chunks(tmp_path / "two"))


def test_assemble(tmp_path):
  for split, num in (("train", 7), ("test", 3)):
    kw = dict(GEN, split=split, progress=False)
    generate.generate_latents(sample_fn, label_fn, num, 2, tmp_path / "work", **kw)
  generate.assemble(tmp_path / "work", tmp_path / "data", "gen", NAMES)
  chunks = read_chunks(tmp_path / "work")
  for split in ("train", "test"):
    loaded = pipeline.load_split(tmp_path / "data", "gen", split)
    for key in ("wp", "labels", "probs"):
      expected = [c[key] for name, c in chunks.items() if name.startswith(split)]
      np.testing.assert_array_equal(loaded[key], np.concatenate(expected))
  os.remove(tmp_path / "work" / "chunks" / "test-00001.npz")
  with pytest.raises(FileNotFoundError, match="test: 1 of 2 chunks missing"):
    generate.assemble(tmp_path / "work", tmp_path / "data2", "gen", NAMES)


def test_style_mix_copies_the_layer_range_it_reports():
  num_layers, per_code = 6, 7
  wp = np.random.default_rng(1).normal(size=(5, num_layers, C))  # [5, L, C]
  mixed, info = generate.style_mix(wp, np.random.default_rng(2), per_code, None, (2, 3))
  assert mixed.shape == (5 * (1 + per_code), num_layers, C)
  for row, (src, start, stop) in enumerate(zip(*info.values(), strict=True)):
    code = row // (1 + per_code)
    if row % (1 + per_code) == 0:
      assert (src, start, stop) == (-1, 0, 0)
      np.testing.assert_array_equal(mixed[row], wp[code])
      continue
    assert src != code and 0 <= start < num_layers
    assert stop in (min(start + 2, num_layers), min(start + 3, num_layers))
    np.testing.assert_array_equal(mixed[row, start:stop], wp[src, start:stop])
    np.testing.assert_array_equal(mixed[row, :start], wp[code, :start])
    np.testing.assert_array_equal(mixed[row, stop:], wp[code, stop:])


def mean_colour_probs(images):
  """A stand-in classifier for the CLI test: [N, H, W, 3] in [-1, 1] -> [N, 3] in [0, 1]."""
  return np.clip((images.mean(axis=(1, 2)) + 1) / 2, 0, 1)


@pytest.mark.slow  # ~30 s, mostly building the statistics generator
def test_cli_with_statistics_generator(tmp_path):
  args = [
    "--ckpt", "statistics", "--out", str(tmp_path / "work"), "--num-train", "4",
    "--num-test", "2", "--chunk-size", "2",
    "--label-fn", "tests.test_data:mean_colour_probs", "--attributes", ",".join(NAMES),
    "--psi", "0.7", "--mix-per-code", "1", "--data-dir", str(tmp_path / "data"), "--name", "demo",
  ]  # fmt: skip
  assert generate_command.main(args) == 0
  train = pipeline.load_split(tmp_path / "data", "demo", "train")
  config = demo_generator_config()
  assert train["wp"].shape == (8, config.num_ws, config.w_dim)  # 4 codes + 4 mixed
  assert pipeline.load_split(tmp_path / "data", "demo", "test")["probs"].shape == (2, K)
  assert generate_command.main([*args[:-4], "--label-fn", "tests.test_data:nope"]) == 1


def example_ids(wp, table):
  """Row of `table` [N, L, C] holding each code of `wp` [B, L, C]."""
  return [int(np.flatnonzero((table == code).all(axis=(1, 2)))[0]) for code in wp]


def test_pipeline_batches_and_process_shards(tiny):
  data_dir, splits = tiny
  train = splits["train"]
  ids = []
  for process in range(2):
    it = pipeline.make_train_iterator(data_dir, "tiny", "train", 8, 0, process, 2)
    batches = [next(it) for _ in range(5)]  # 2 x 5 x 4 = 40: one epoch
    batch = batches[0]
    assert {k: (v.shape, v.dtype) for k, v in batch.items()} == {
      "wp": ((4, L, C), np.float32),
      "labels": ((4, K), np.float32),
      "target_labels": ((4, K), np.float32),
    }
    for b in batches:
      rows = example_ids(b["wp"], train["wp"])
      np.testing.assert_array_equal(b["labels"], train["labels"][rows])
      ids.append(rows)
  ids = np.concatenate(ids)
  assert sorted(ids) == list(range(40))  # disjoint and complete within an epoch


def test_pipeline_reads_stored_images(tiny, tmp_path):
  data_dir, splits = tiny
  train = splits["train"]
  batch = next(pipeline.make_train_iterator(data_dir, "tiny", "train", 8, 0, with_image=True))
  rows = example_ids(batch["wp"], train["wp"])
  assert batch["image"].dtype == np.float32 and batch["image"].shape == (8, 16, 16, 3)
  np.testing.assert_allclose(batch["image"], (train["image"][rows] - 127.5) / 127.5)
  assert images.to_uint8(batch["image"]).tolist() == train["image"][rows].tolist()
  latents.write_dataset(tmp_path, "bare", {"train": tiny_split(4, 3, False)}, NAMES, L, C, True)
  with pytest.raises(ValueError, match="no `image` feature"):
    pipeline.make_train_iterator(tmp_path, "bare", "train", 2, 0, with_image=True)


def test_generation_stores_images_when_labels_come_with_them(tmp_path):
  def label_and_image(wp):
    image = np.broadcast_to((wp[:, :1, :1, None] > 0) * 255, (len(wp), 2, 2, 3))
    return label_fn(wp)[0], image.astype(np.uint8)  # [n, K], [n, 2, 2, 3]

  for split in ("train", "test"):
    kw = dict(GEN, split=split, progress=False)
    generate.generate_latents(sample_fn, label_and_image, 3, 2, tmp_path / "work", **kw)
  generate.assemble(tmp_path / "work", tmp_path / "data", "gen", NAMES)
  source = tfds.data_source("gen", data_dir=str(tmp_path / "data"), split="test")
  expected = label_and_image(source[2]["wp"][None])[1][0]
  np.testing.assert_array_equal(source[2]["image"], expected)


def test_pipeline_state_roundtrip(tiny):
  data_dir, _ = tiny
  it = pipeline.make_train_iterator(data_dir, "tiny", "train", 6, seed=3)
  for _ in range(8):  # into the second epoch
    next(it)
  state = json.loads(json.dumps(it.get_state()))
  expected = [next(it) for _ in range(10)]
  resumed = pipeline.make_train_iterator(data_dir, "tiny", "train", 6, seed=3)
  resumed.set_state(state)
  for a, b in zip(expected, (next(resumed) for _ in range(10)), strict=True):
    for key in a:
      np.testing.assert_array_equal(a[key], b[key])
  other = pipeline.make_train_iterator(data_dir, "tiny", "train", 6, seed=4)
  assert not np.array_equal(next(other)["wp"], expected[0]["wp"])


def test_pipeline_target_labels(tiny):
  data_dir, splits = tiny
  labels = splits["train"]["labels"].astype(np.float32)
  it = pipeline.make_train_iterator(data_dir, "tiny", "train", 40, seed=0)
  targets = np.concatenate([next(it)["target_labels"] for _ in range(3)])  # [120, K]
  assert all((labels == t).all(axis=1).any() for t in targets)
  assert len(np.unique(targets, axis=0)) > 4
  flip = pipeline.make_train_iterator(data_dir, "tiny", "train", 8, 0, target_mode="flip")
  assert np.isin(next(flip)["target_labels"], (0, 1)).all()
  with pytest.raises(ValueError, match="target_mode"):
    pipeline.make_train_iterator(data_dir, "tiny", "train", 8, 0, target_mode="uniform")
