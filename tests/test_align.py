"""FFHQ alignment: landmark geometry on synthetic faces, pixel parity with NVlabs'
`recreate_aligned_images` on scikit-image's astronaut, the real dlib pipeline, bad photos."""

import importlib
import os
import sys

import numpy as np
import pytest
from PIL import Image

from isf_jax import align
from isf_jax.photos import PhotoError

ASTRONAUT_FACE = (175, 76, 265, 166)  # dlib's box of the face; the suit's patch is lower


def _require(module: str):
  """CI installs `.[dev]`, which has the face tools: there a missing one fails the test."""
  if os.environ.get("CI"):
    return importlib.import_module(module)
  return pytest.importorskip(module)


def _landmarks(eye_left=(40.0, 50.0), eye_right=(80.0, 50.0), mouth=((45.0, 90.0), (75.0, 90.0))):
  lm = np.zeros((68, 2))
  ring = 3 * np.stack([np.cos(np.arange(6)), np.sin(np.arange(6))], 1)  # mean 0 around the eye
  ring -= ring.mean(0)
  lm[36:42], lm[42:48] = np.add(eye_left, ring), np.add(eye_right, ring)
  lm[48], lm[54] = mouth
  return lm


def _similarity(points, angle_deg, scale, shift, centre):
  a = np.deg2rad(angle_deg)
  rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
  return (np.asarray(points) - centre) @ rot.T * scale + centre + shift


def _astronaut_photos():
  """{name: uint8 [H, W, 3]} as the fixtures were made: the photo, and a crop that puts the
  face at its top-left corner."""
  astronaut = _require("skimage.data").astronaut()
  return {"astronaut": astronaut, "astronaut_edge": np.ascontiguousarray(astronaut[70:, 168:])}


def _golden(fixtures_dir, name):
  return np.asarray(Image.open(fixtures_dir / "align" / f"{name}.png").convert("RGB"))


def test_quad_of_an_upright_face():
  quad = align.alignment_quad(_landmarks())
  # eye_to_eye 40, eye_to_mouth 40: half-side max(80, 72) = 80, centre (60, 54)
  np.testing.assert_allclose(quad, [[-20, -26], [-20, 134], [140, 134], [140, -26]], atol=1e-9)


def test_quad_follows_a_similarity_transform():
  lm, centre = _landmarks(), np.array([60.0, 60.0])
  moved = _similarity(lm, 25, 1.7, (13, -4), centre)
  np.testing.assert_allclose(
    align.alignment_quad(moved),
    _similarity(align.alignment_quad(lm), 25, 1.7, (13, -4), centre),
    atol=1e-9,
  )


def test_align_image_undoes_rotation_and_scale():
  rng = np.random.RandomState(0)
  face = np.kron(rng.randint(0, 255, (30, 30, 3)), np.ones((8, 8, 1))).astype(np.uint8)  # 240 px
  lm = _landmarks((90, 100), (150, 100), ((100, 160), (140, 160)))
  upright = align.align_image(face, lm, 64, transform_size=256)
  angle, centre = 20, np.array([120.0, 120.0])
  # PIL rotates counter-clockwise on screen, i.e. by -angle in image (y-down) coordinates
  rotated = np.asarray(Image.fromarray(face).rotate(angle, Image.BILINEAR, center=(120, 120)))
  turned_lm = _similarity(lm, -angle, 1.0, (0, 0), centre)
  turned = align.align_image(rotated, turned_lm, 64, transform_size=256)
  assert upright.shape == turned.shape == (64, 64, 3)
  inner = slice(16, 48)  # away from the rotated-in corners
  diff = np.abs(upright[inner, inner].astype(float) - turned[inner, inner]).mean()
  assert diff < 12, diff  # vs ~85 for unrelated pixels
  assert np.abs(upright[inner, inner].astype(float) - rotated[inner, inner]).mean() > 40


def test_padding_fades_to_the_median_instead_of_mirroring():
  """A face at the photo's corner: outside the photo the aligned image is smooth and close to
  the photo's median, not a sharp mirror image of the noise."""
  rng = np.random.RandomState(1)
  photo = rng.randint(0, 256, (200, 200, 3)).astype(np.uint8)
  lm = _landmarks((20, 30), (60, 30), ((25, 70), (55, 70)))  # quad from (-40, -46)
  aligned = align.align_image(photo, lm, 64, transform_size=256).astype(float)
  outside = aligned[:8, :8]  # beyond the photo's top-left corner by ~30 px
  inside = aligned[40:56, 40:56]
  assert outside.std() < 0.25 * inside.std(), (outside.std(), inside.std())  # ~0.11
  assert np.abs(outside.mean(axis=(0, 1)) - np.median(photo, axis=(0, 1))).max() < 10


def test_bad_arguments():
  with pytest.raises(ValueError, match="68"):
    align.alignment_quad(np.zeros((5, 2)))
  with pytest.raises(ValueError, match="uint8 RGB"):
    align.align_image(np.zeros((8, 8, 3), np.float32), _landmarks(), 16)
  with pytest.raises(ValueError, match="output_size"):
    align.align_image(np.zeros((8, 8, 3), np.uint8), _landmarks(), 512, transform_size=256)


def test_broken_dlib_reports_the_real_cause(tmp_path, monkeypatch):
  fake = tmp_path / "dlib"
  fake.mkdir()
  (fake / "__init__.py").write_text("raise ImportError('libopenblas.so.0: cannot open file')\n")
  monkeypatch.syspath_prepend(str(tmp_path))
  monkeypatch.delitem(sys.modules, "dlib", raising=False)
  align._detector.cache_clear()
  try:
    with pytest.raises(align.FaceToolsError, match="libopenblas.so.0.*isf-jax\\[faces\\]"):
      align.detect_faces(np.zeros((8, 8, 3), np.uint8))
    monkeypatch.setitem(sys.modules, "dlib", None)  # not installed
    with pytest.raises(align.FaceToolsError, match="dlib.*isf-jax\\[faces\\]"):
      align.detect_faces(np.zeros((8, 8, 3), np.uint8))
  finally:
    align._detector.cache_clear()


def test_landmark_model_found_without_importing_its_package(tmp_path, monkeypatch):
  package = tmp_path / "face_recognition_models"
  (package / "models").mkdir(parents=True)
  # as with setuptools >= 82, which has no pkg_resources: the package's own import fails
  (package / "__init__.py").write_text("raise ImportError(\"No module named 'pkg_resources'\")\n")
  (package / "models" / align.LANDMARKS_FILE).write_bytes(b"model")
  monkeypatch.syspath_prepend(str(tmp_path))
  monkeypatch.delitem(sys.modules, "face_recognition_models", raising=False)
  assert align.landmarks_model_path() == package / "models" / align.LANDMARKS_FILE
  assert "face_recognition_models" not in sys.modules
  (package / "models" / align.LANDMARKS_FILE).unlink()
  with pytest.raises(align.FaceToolsError, match="is missing"):
    align.landmarks_model_path()
  monkeypatch.setitem(sys.modules, "face_recognition_models", None)  # not installed
  with pytest.raises(align.FaceToolsError, match="not installed.*isf-jax\\[faces\\]"):
    align.landmarks_model_path()


@pytest.mark.parity
@pytest.mark.parametrize(
  "name, size", [("astronaut", 256), ("astronaut_edge", 256), ("astronaut", 32)]
)
def test_pixels_equal_ffhq_recreate_aligned_images(fixtures_dir, name, size):
  """Same landmarks -> the same pixels as NVlabs' function: no shrink and no padding (256),
  reflect + blur + fade padding (the edge crop), shrink by 2 (32 px)."""
  photo = _astronaut_photos()[name]
  landmarks = np.load(fixtures_dir / "align" / "landmarks.npz")[name]
  aligned = align.align_image(photo, landmarks, size)
  np.testing.assert_array_equal(aligned, _golden(fixtures_dir, f"{name}_{size}"))


def test_astronaut_face_chosen_by_confidence(fixtures_dir):
  """The portrait's second detection, a patch on the suit, is almost as large as the face
  (90 x 91 px vs 91 x 91) but far less confident."""
  _require("dlib")
  photo = _astronaut_photos()["astronaut"]
  face = align.align_face(photo, output_size=256)
  assert face.num_faces == 2 and face.faces[0].box == ASTRONAUT_FACE
  assert face.score > 1.0 > 0.5 > face.faces[1].score and face.faces[1].box[1] > 300
  assert face.note.startswith("2 faces found; aligned the most confident")
  expected = np.load(fixtures_dir / "align" / "landmarks.npz")["astronaut"]
  np.testing.assert_array_equal(face.landmarks, expected)  # the fixtures' landmarks: same model
  np.testing.assert_array_equal(face.image, _golden(fixtures_dir, "astronaut_256"))
  assert not face.padded and face.record()["num_faces"] == 2


def test_face_at_the_edge_aligned_from_a_photo_file(fixtures_dir, tmp_path):
  _require("dlib")
  path = tmp_path / "edge.png"
  Image.fromarray(_astronaut_photos()["astronaut_edge"]).save(path)
  face = align.align_photo(path, output_size=256)
  assert face.num_faces == 1 and face.note is None and face.padded
  np.testing.assert_array_equal(face.image, _golden(fixtures_dir, "astronaut_edge_256"))


def test_bad_photos_are_one_line_errors_naming_the_file(tmp_path):
  _require("dlib")
  astronaut = _astronaut_photos()["astronaut"]
  Image.fromarray(np.full((300, 300, 3), 128, np.uint8)).save(tmp_path / "plain.png")
  Image.fromarray(astronaut).resize((256, 256), Image.LANCZOS).save(tmp_path / "small.png")
  (tmp_path / "junk.jpg").write_bytes(b"not an image")
  Image.fromarray(astronaut).convert("CMYK").save(tmp_path / "print.jpg")
  expected = {
    "plain.png": "no face found",
    "small.png": f"too small to align: its FFHQ crop is 85 px, at least {align.MIN_CROP_SIZE} px",
    "junk.jpg": "cannot read image .*not an image format",
    "print.jpg": "image mode CMYK is not supported",
    "missing.png": "cannot read image .*No such file",
  }
  for name, message in expected.items():
    with pytest.raises(PhotoError, match=message) as error:
      align.align_photo(tmp_path / name, output_size=256)
    assert str(tmp_path / name) in str(error.value) and "\n" not in str(error.value)
