"""Reading photos: orientation, modes, one-line errors naming the file."""

import numpy as np
import pytest
from PIL import Image

from isf_jax.photos import PhotoError, load_photo


def test_exif_orientation_is_applied(tmp_path):
  photo = np.zeros((20, 40, 3), np.uint8)
  photo[:, :20] = 255  # left half white
  exif = Image.Exif()
  exif[0x0112] = 6  # stored rotated: display turned 90 degrees clockwise
  Image.fromarray(photo).save(tmp_path / "phone.png", exif=exif)
  upright = load_photo(tmp_path / "phone.png")
  assert upright.shape == (40, 20, 3)
  assert (upright[:20] == 255).all() and (upright[20:] == 0).all()  # left half now on top


def test_palette_with_transparency_on_white(tmp_path):
  image = Image.new("P", (4, 4), 0)
  image.putpalette([0, 0, 0] * 256)
  image.info["transparency"] = 0
  image.save(tmp_path / "clear.png", transparency=0)
  assert (load_photo(tmp_path / "clear.png") == 255).all()


def test_errors_name_the_file(tmp_path):
  for path, message in [(tmp_path, "cannot read image"), (tmp_path / "none.png", "No such file")]:
    with pytest.raises(PhotoError, match=message) as error:
      load_photo(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)
  Image.fromarray(np.zeros((4, 4), np.uint16)).save(tmp_path / "deep.png")
  with pytest.raises(PhotoError, match="deep.png: image mode I;16 is not supported"):
    load_photo(tmp_path / "deep.png")
