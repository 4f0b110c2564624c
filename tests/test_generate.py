"""The rendering CLI: determinism, outputs, bad input."""

import os

import numpy as np
import pytest
from PIL import Image

from isf_jax import generate, seeds
from tests.helpers.grids import has_text, tile_positions

ADA_64 = os.path.join(os.path.dirname(__file__), "fixtures", "stylegan2", "ada_64.pkl")


def test_parse_seeds():
  assert seeds.parse_seeds("0-3,7,10-11") == [0, 1, 2, 3, 7, 10, 11]
  with pytest.raises(ValueError, match="bad seed range"):
    seeds.parse_seeds("3-x")


def test_seed_latents_match_nvlabs_convention():
  z = seeds.seed_latents([5], 32)
  np.testing.assert_array_equal(z[0], np.random.RandomState(5).randn(32).astype(np.float32))


def test_same_seeds_same_images(tmp_path):
  args = ["--ckpt", ADA_64, "--seeds", "0-4", "--psi", "0.7", "--batch-size", "3"]
  assert (
    generate.main([*args, "--out", str(tmp_path / "a.png"), "--outdir", str(tmp_path / "s")]) == 0
  )
  assert generate.main([*args, "--out", str(tmp_path / "b.png")]) == 0
  a, b = np.asarray(Image.open(tmp_path / "a.png")), np.asarray(Image.open(tmp_path / "b.png"))
  np.testing.assert_array_equal(a, b)
  assert a.shape[0] > 2 * 64 + 2 and a.shape[1] >= 3 * 64 + 2 * 2  # 5 images, 3 columns, labels
  assert sorted(os.listdir(tmp_path / "s")) == [f"seed000{i}.png" for i in range(5)]
  first = np.asarray(Image.open(tmp_path / "s" / "seed0000.png"))
  ((top, left),) = tile_positions(a, first)
  fifth = np.asarray(Image.open(tmp_path / "s" / "seed0004.png"))
  ((y, x),) = tile_positions(a, fifth)  # the second row, second column
  assert y > top + 64 and left + 64 < x < left + 2 * 64 + 2 * 2 + 8
  assert has_text(a[:top]) and has_text(a[top + 64 : y])  # the title; "seed 0" under its image


def test_statistics_generator_renders(tmp_path):
  assert (
    generate.main(["--ckpt", "statistics", "--seeds", "0-1", "--out", str(tmp_path / "g.png")]) == 0
  )
  grid = np.asarray(Image.open(tmp_path / "g.png"))
  assert grid.shape[0] > 64 and grid.shape[1] >= 130 and grid.std() > 10


@pytest.mark.parametrize(
  "args,message",
  [
    (["--ckpt", "/nonexistent/g", "--seeds", "0"], "does not exist"),
    (["--ckpt", ADA_64, "--seeds", "a-b"], "bad seed range"),
    (["--ckpt", ADA_64, "--seeds", "0", "--batch-size", "0"], "--batch-size"),
  ],
)
def test_bad_input(tmp_path, capsys, args, message):
  assert generate.main([*args, "--out", str(tmp_path / "g.png")]) == 1
  err = capsys.readouterr().err
  assert message in err and "error:" in err
  assert os.listdir(tmp_path) == []
