"""Reading users' photos: one set of rules and one error type for every entry point."""

from __future__ import annotations

import numpy as np

# Pillow modes with 8-bit channels that convert to RGB without losing meaning
_MODES = ("RGB", "RGBA", "L", "LA", "P", "PA")


class PhotoError(ValueError):
  """A photo that cannot be used; the message is one line naming the file and the problem."""


def load_photo(path) -> np.ndarray:
  """An image file -> uint8 RGB [H, W, 3].

  The EXIF orientation is applied (phones store portraits sideways with a rotation tag);
  grayscale and palette images are converted to RGB and transparency is composited on
  white; other modes (CMYK, 16-bit, float) are refused rather than guessed at.
  """
  from PIL import Image, ImageOps, UnidentifiedImageError

  try:
    with Image.open(path) as image:
      image.load()
      image = ImageOps.exif_transpose(image)
  except UnidentifiedImageError:
    raise PhotoError(f"cannot read image {path}: not an image format Pillow knows") from None
  except (OSError, SyntaxError, ValueError) as e:  # missing, a folder, truncated, bad header
    raise PhotoError(f"cannot read image {path}: {getattr(e, 'strerror', None) or e}") from None
  if image.mode not in _MODES:
    raise PhotoError(f"{path}: image mode {image.mode} is not supported; save it as 8-bit RGB")
  if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
    rgba = image.convert("RGBA")
    image = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    image.alpha_composite(rgba)
  return np.asarray(image.convert("RGB"))
