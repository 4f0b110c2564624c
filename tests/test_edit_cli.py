"""The editing CLI: outputs, manifest, determinism, bad input (statistics generator, random ISF)."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from isf_jax import edit
from isf_jax.checkpoints import sha256 as checkpoint_sha256
from tests.helpers.editing import make_encoder_checkpoint, make_isf_checkpoint
from tests.helpers.grids import enlarged, has_text, tile_positions

LABELS = ["--source-labels", "0,1,0,1"]


@pytest.fixture(scope="module")
def isf(tmp_path_factory):
  return str(make_isf_checkpoint(tmp_path_factory.mktemp("isf") / "isf"))


def test_translate_outputs_and_manifest(isf, tmp_path):
  out = tmp_path / "t"
  args = ["translate", "--isf", isf, "--seeds", "0-2", "--target", "bright=1,warm=0", *LABELS]
  assert edit.main([*args, "--num-samples", "2", "--layers", "2-5", "--outdir", str(out)]) == 0
  manifest = json.loads((out / "manifest.json").read_text())
  assert manifest["targets"] == {"bright": 1, "warm": 0}
  assert [i["seed"] for i in manifest["inputs"]] == [0, 1, 2]
  assert manifest["layers"] == [2, 3, 4, 5] and manifest["source_labels"] == [0, 1, 0, 1]
  assert manifest["checkpoint"]["isf_sha256"] == checkpoint_sha256(isf)
  assert manifest["checkpoint"]["generator"] == "statistics"
  files = set(os.listdir(out))
  assert files == set(manifest["outputs"]) | {"manifest.json"}
  assert {"grid.png", "latents.npy", "seed0001_source.png", "seed0001_1.png"} <= files
  grid = np.asarray(Image.open(out / "grid.png"))
  plain = (3 * 64 + 2 * 2, 3 * 64 + 2 * 2)  # rows: source + 2 samples, 64 px tiles
  assert grid.shape[0] > plain[0] and grid.shape[1] > plain[1]  # + title, column, row labels
  source = np.asarray(Image.open(out / "seed0001_source.png"))
  ((top, left),) = tile_positions(grid, enlarged(source, 2))  # the cells are the images
  assert tile_positions(grid, enlarged(np.asarray(Image.open(out / "seed0001_1.png")), 2)) == [
    (top, left + 2 * (64 + 2))
  ]
  assert has_text(grid[:top, left:]) and has_text(grid[top:, :left])  # columns, rows labelled
  latents = np.load(out / "latents.npy")
  assert latents.shape == (3, 2, 8, 64)
  # the unselected layers are the sources' W+ exactly (seed 0 mapped with psi 0.7)
  np.save(tmp_path / "src.npy", latents[:, 0])
  assert not os.path.exists(out.parent / ".t.tmp")  # nothing temporary left
  assert [f for f in os.listdir(tmp_path) if f.startswith(".")] == []


def test_same_seeds_same_files_and_latent_input(isf, tmp_path):
  args = ["sample", "--isf", isf, "--seeds", "3,4", "--target", "contrasty=0", *LABELS]
  args += ["--num-samples", "3", "--seed", "5"]
  assert edit.main([*args, "--outdir", str(tmp_path / "a")]) == 0
  assert edit.main([*args, "--outdir", str(tmp_path / "b")]) == 0
  for name in ("grid.png", "seed0004_2.png"):
    assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
  a = np.load(tmp_path / "a" / "latents.npy")
  assert np.abs(a[:, 0] - a[:, 1]).max() > 1e-3  # samples differ: different noise draws
  # the same sources given as a latent file give the same edits
  from isf_jax.seeds import seed_latents
  from isf_jax.stylegan2.networks import Generator
  from isf_jax.translator import Translator

  translator = Translator.load(isf=isf)
  wp = translator.latents_from_seeds([3, 4], psi=0.7)
  direct = Generator(translator.generator_config).apply(
    translator.generator_variables, seed_latents([3, 4], 64), 0.7, method=Generator.map
  )
  np.testing.assert_allclose(wp, direct, atol=1e-5)
  np.save(tmp_path / "wp.npy", wp)
  args[args.index("--seeds") : args.index("--seeds") + 2] = ["--latents", str(tmp_path / "wp.npy")]
  assert edit.main([*args, "--outdir", str(tmp_path / "c")]) == 0
  np.testing.assert_allclose(np.load(tmp_path / "c" / "latents.npy"), a, atol=1e-5)


def test_interpolate_strip_and_gif(isf, tmp_path):
  out = tmp_path / "i"
  args = ["interpolate", "--isf", isf, "--seeds", "7", "--target", "bright=1", *LABELS]
  assert edit.main([*args, "--frames", "5", "--outdir", str(out)]) == 0
  with Image.open(out / "seed0007.gif") as gif:
    assert gif.n_frames == 5 and gif.size == (128, 128)
  strip = np.asarray(Image.open(out / "seed0007_strip.png"))
  assert strip.shape[0] > 64 and strip.shape[1] > 5 * 64 + 4 * 2  # labelled frames
  frames = np.load(out / "latents.npy")
  from isf_jax.images import to_uint8
  from isf_jax.translator import Translator

  last = to_uint8(Translator.load(isf=isf).render(frames[0, -1:]))[0]  # the translation
  ((top, left),) = tile_positions(strip, enlarged(last, 2))
  assert left + 64 > strip.shape[1] - 8  # the last column
  assert has_text(strip[:top]) and has_text(strip[top:, :64])  # frame/alpha, input name
  np.testing.assert_array_equal(strip, np.asarray(Image.open(out / "strips.png")))  # one input
  assert frames.shape == (1, 5, 8, 64)
  assert json.loads((out / "manifest.json").read_text())["frames"] == 5


@pytest.mark.parametrize(
  "args,message",
  [
    (["--target", "smile=1", *LABELS], "valid: ['bright', 'warm', 'top_heavy', 'contrasty']"),
    (["--target", "bright=2", *LABELS], "bad target 'bright=2'"),
    (["--target", "bright=1", "--source-labels", "0,1"], "source labels must be [1, 4]"),
    (["--target", "bright=1", *LABELS, "--layers", "9"], "subset of 0-7"),
    (["--target", "bright=1", *LABELS, "--generator", "/nope"], "does not exist"),
  ],
)
def test_bad_input(isf, tmp_path, capsys, args, message):
  out = tmp_path / "o"
  assert edit.main(["translate", "--isf", isf, "--seeds", "0", *args, "--outdir", str(out)]) == 1
  err = capsys.readouterr().err
  assert message in err and err.startswith("error:") or f"\nerror: {message}" in err, err
  assert os.listdir(tmp_path) == []


def test_bad_latent_file_and_existing_outdir(isf, tmp_path, capsys):
  np.save(tmp_path / "bad.npy", np.zeros((2, 6, 64), np.float32))
  args = ["translate", "--isf", isf, "--latents", str(tmp_path / "bad.npy"), "--target"]
  assert edit.main([*args, "bright=1", *LABELS, "--outdir", str(tmp_path / "o")]) == 1
  assert "W+ [N, 8, 64]" in capsys.readouterr().err
  (tmp_path / "o").mkdir()
  assert edit.main([*args, "bright=1", *LABELS, "--outdir", str(tmp_path / "o")]) == 1
  assert "exists" in capsys.readouterr().err
  assert sorted(os.listdir(tmp_path)) == ["bad.npy", "o"]


def test_images_are_inverted_then_edited(isf, tmp_path, capsys, lpips_cache):
  from isf_jax import images
  from isf_jax.translator import Translator

  translator = Translator.load(isf=isf)
  photo = images.to_uint8(translator.render(translator.latents_from_seeds([11])))[0]
  images.save_png(tmp_path / "face.png", photo)
  Image.fromarray(photo[..., 0]).save(tmp_path / "gray.png")  # grayscale: converted to RGB
  out = tmp_path / "o"
  args = ["translate", "--isf", isf, "--target", "bright=1", *LABELS, "--invert-steps", "3"]
  args += ["--invert-lpips", "alex", "--images"]
  inputs = [str(tmp_path / "face.png"), str(tmp_path / "gray.png")]
  assert edit.main([*args, *inputs, "--outdir", str(out)]) == 0
  manifest = json.loads((out / "manifest.json").read_text())
  first, second = manifest["inputs"]
  assert first["name"] == "0000_face" and second["name"] == "0001_gray"
  assert first["inversion"]["steps"] == 3 and first["inversion"]["psnr"] > 0
  assert first["image_sha256"] == checkpoint_sha256(tmp_path / "face.png")
  np.testing.assert_array_equal(np.asarray(Image.open(out / "0000_face_input.png")), photo)
  gray_input = np.asarray(Image.open(out / "0001_gray_input.png"))
  assert gray_input.shape == (32, 32, 3) and (gray_input[..., 0] == gray_input[..., 2]).all()
  assert "inverted" in capsys.readouterr().err

  (tmp_path / "junk.png").write_bytes(b"no image")
  assert edit.main([*args, str(tmp_path / "junk.png"), "--outdir", str(tmp_path / "j")]) == 1
  assert "cannot read image" in capsys.readouterr().err
  assert not (tmp_path / "j").exists()


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
  return str(make_encoder_checkpoint(tmp_path_factory.mktemp("encoder") / "encoder"))


def _astronaut(path):
  skimage_data = pytest.importorskip("skimage.data")
  pytest.importorskip("dlib")
  Image.fromarray(skimage_data.astronaut()).save(path)
  return str(path)


def test_align_then_encoder_inversion(isf, encoder, tmp_path, capsys, lpips_cache):
  """A real photo, the real landmark model: aligned at the generator's 32 px, one encoder
  pass (a random-weight encoder: the statistics generator has no trained e4e), then edited."""
  photo = _astronaut(tmp_path / "astronaut.png")
  out = tmp_path / "o"
  args = ["translate", "--isf", isf, "--target", "bright=1", *LABELS, "--images", photo]
  args += ["--align", "--invert", "encoder", "--encoder", encoder, "--invert-lpips", "alex"]
  assert edit.main([*args, "--outdir", str(out)]) == 0
  err = capsys.readouterr().err
  assert f"warning: {photo}: 2 faces found; aligned the most confident" in err
  (entry,) = json.loads((out / "manifest.json").read_text())["inputs"]
  alignment = entry["alignment"]
  assert alignment["aligned"] and alignment["method"] == "ffhq" and not alignment["padded"]
  assert alignment["num_faces"] == 2 and alignment["box"] == [175, 76, 265, 166]
  assert alignment["note"].startswith("2 faces found") and len(alignment["quad"]) == 4
  inversion = entry["inversion"]
  assert inversion["mode"] == "encoder" and inversion["steps"] == 0
  assert inversion["encoder"] == encoder and 0 < inversion["lpips"] < 1 and inversion["psnr"] > 0
  aligned = np.asarray(Image.open(out / "0000_astronaut_input.png"))
  assert aligned.shape == (32, 32, 3)
  assert json.loads((out / "manifest.json").read_text())["checkpoint"]["encoder"] == encoder


@pytest.mark.slow  # compiles the projector in W+ (~20-40 s on 2 busy cores)
def test_encoder_then_optimize_and_the_unaligned_warning(isf, encoder, tmp_path, capsys):
  Image.new("RGB", (40, 36), (200, 120, 90)).save(tmp_path / "wide.png")
  out = tmp_path / "o"
  args = ["sample", "--isf", isf, "--target", "warm=1", *LABELS, "--num-samples", "2"]
  args += ["--images", str(tmp_path / "wide.png"), "--invert", "encoder+optimize"]
  args += ["--encoder", encoder, "--steps", "2", "--invert-lpips", "alex"]
  assert edit.main([*args, "--outdir", str(out)]) == 0
  err = capsys.readouterr().err
  assert "wide.png is 40x36 px, not 32x32: centre-cropped and resized" in err and "--align" in err
  (entry,) = json.loads((out / "manifest.json").read_text())["inputs"]
  assert entry["alignment"] == {
    "aligned": False,
    "size": [40, 36],
    "cropped": True,
    "resized": True,
  }
  inversion = entry["inversion"]
  assert inversion["mode"] == "encoder+optimize" and inversion["steps"] == 2
  assert inversion["space"] == "wp" and inversion["lpips"] > 0 and inversion["psnr"] > 0
  assert np.load(out / "latents.npy").shape == (1, 2, 8, 64)


def test_bad_photos_fail_the_batch_and_leave_nothing(isf, encoder, tmp_path, capsys):
  photo = _astronaut(tmp_path / "astronaut.png")
  Image.new("RGB", (300, 300), (128, 128, 128)).save(tmp_path / "plain.png")
  Image.open(photo).resize((256, 256)).save(tmp_path / "small.png")
  (tmp_path / "junk.jpg").write_bytes(b"not an image")
  args = ["translate", "--isf", isf, "--target", "bright=1", *LABELS, "--align"]
  args += ["--invert", "encoder", "--encoder", encoder, "--outdir", str(tmp_path / "o")]
  for bad, message in (
    ("plain.png", "no face found"),
    ("small.png", "the face is too small to align: its FFHQ crop is 85 px, at least 100 px"),
    ("junk.jpg", "cannot read image"),
    ("missing.png", "No such file"),
  ):
    path = str(tmp_path / bad)
    assert edit.main([*args, "--images", photo, path]) == 1, bad
    err = capsys.readouterr().err
    error = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and path in error[0] and message in error[0], err
    assert not (tmp_path / "o").exists() and not list(tmp_path.glob(".o*"))


def test_missing_face_tools_and_encoder(isf, tmp_path, capsys, monkeypatch):
  from isf_jax import align

  def no_dlib(*args, **kwargs):
    raise align.FaceToolsError(f"face alignment needs dlib; {align.INSTALL_HINT}")

  Image.new("RGB", (32, 32)).save(tmp_path / "face.png")
  monkeypatch.setattr(align, "align_photo", no_dlib)
  args = [
    "translate",
    "--isf",
    isf,
    "--target",
    "bright=1",
    *LABELS,
    "--outdir",
    str(tmp_path / "o"),
  ]
  assert edit.main([*args, "--images", str(tmp_path / "face.png"), "--align"]) == 1
  assert "error: face alignment needs dlib; pip install 'isf-jax[faces]'" in capsys.readouterr().err
  assert edit.main([*args, "--images", str(tmp_path / "face.png"), "--invert", "encoder"]) == 1
  assert (
    "error: --invert encoder needs --encoder DIR (isf-jax-convert e4e" in capsys.readouterr().err
  )
  assert os.listdir(tmp_path) == ["face.png"]
