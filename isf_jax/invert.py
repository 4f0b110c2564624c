"""Real photos to W+ codes, three ways, with the reconstruction's quality for each photo.

  "optimize":          the StyleGAN2 projector (`isf_jax.inversion.project`) from w_avg;
  "encoder":           one forward pass of an e4e encoder (`isf_jax.encoders.e4e`);
  "encoder+optimize":  the encoder's W+ as the projector's start, then `steps` projector steps
                       in W+ with gentler settings (`inversion.REFINE_SETTINGS`); the noise
                       maps start from the generator's constant ones, so step 0 renders
                       exactly the encoder's reconstruction.

Every mode reports, per photo, LPIPS v0.1 (the projector's distance: `lpips_net`, images box-
downsampled to at most 256 px) and PSNR between the photo and its reconstruction. The
reconstruction is rendered with the noise maps the mode ends with (the projector's optimised
ones; the generator's constant ones for the encoder), while editing renders with the constant
ones.

Photos are read by `read_photo`: FFHQ-aligned (`isf_jax.align`) with align=True; otherwise
centre-cropped and resized, with a warning when that changes the photo.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from isf_jax import inversion
from isf_jax.generators import const_noise, generator_module
from isf_jax.losses import box_downsample
from isf_jax.photos import load_photo

MODES = ("optimize", "encoder", "encoder+optimize")
CONVERT_HINT = (
  "isf-jax-convert e4e e4e_ffhq_encode.pt ckpts/e4e, then use ckpts/e4e/encoder; or train one: "
  "python -m isf_jax.train_encoder --workdir DIR, then use DIR/encoder"
)


# --- photos ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Photo:
  """A photo brought to the generator's input: pixels and how they were obtained."""

  path: str
  image: np.ndarray  # [R, R, 3] float32 in [-1, 1]
  alignment: dict  # JSON-ready: {"aligned": bool, ...} (see `read_photo`)
  warning: str | None  # one line for the user (several faces; cropped or resized), or None


def read_photo(path, resolution: int, align: bool = False, landmarks_model=None) -> Photo:
  """A photo file -> `Photo` at `resolution` px; errors (`photos.PhotoError`, one line) name it.

  align=True: FFHQ alignment of the most confident face (needs the 'faces' extra; raises
  `align.FaceToolsError` without it); the alignment's record, plus its note when several faces
  were found. align=False: the photo is centre-cropped to a square and resized (Lanczos),
  recorded as such; a warning names `--align` when it was not already square at `resolution`.
  """
  path = str(path)
  if align:
    from isf_jax import align as face_align

    face = face_align.align_photo(path, output_size=resolution, landmarks_model=landmarks_model)
    record = {"aligned": True, **face.record(), "note": face.note}
    warning = f"{path}: {face.note}" if face.note else None
    return Photo(path, face.image.astype(np.float32) / 127.5 - 1.0, record, warning)
  pixels = load_photo(path)  # [H, W, 3] uint8
  height, width = pixels.shape[:2]
  cropped, resized = width != height, min(width, height) != resolution
  record = {"aligned": False, "size": [width, height], "cropped": cropped, "resized": resized}
  warning = None
  if cropped or resized:
    warning = (
      f"{path} is {width}x{height} px, not {resolution}x{resolution}: centre-cropped and resized; "
      "for a face photo use --align (align=True: FFHQ alignment, as the generator was trained)"
    )
  return Photo(path, inversion.fit_square(pixels, resolution), record, warning)


def as_images(photos, resolution: int, align: bool = False) -> tuple[np.ndarray, tuple]:
  """File paths (read by `read_photo`; their warnings issued as Python warnings) or images
  [N, R, R, 3] -> (images [N, R, R, 3] in [-1, 1], the `Photo`s read, if any)."""
  if not (isinstance(photos, (list, tuple)) and photos):
    if align:
      raise ValueError("align=True needs photo file paths, not pixel arrays")
    return np.asarray(photos, np.float32), ()
  if not all(isinstance(p, (str, os.PathLike)) for p in photos):
    return as_images(np.asarray(photos, np.float32), resolution, align)
  read = tuple(read_photo(p, resolution, align) for p in photos)
  for photo in read:
    if photo.warning:
      warnings.warn(photo.warning, stacklevel=3)
  return np.stack([p.image for p in read]), read


# --- the encoder ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class Encoder:
  """A converted e4e encoder, checked against the generator it is used with."""

  config: object  # isf_jax.encoders.e4e.E4EConfig
  variables: dict
  source: str = ""

  @functools.cached_property
  def encode(self):  # images [N, H, W, 3] in [-1, 1] -> W+ [N, n_styles, style_dim]
    from isf_jax.encoders import e4e

    return e4e.encode_fn(self.config, self.variables)


def check_encoder(encoder_config, generator_config, source: str = "encoder"):
  """The encoder must output the generator's W+: n_styles == num_ws, style_dim == w_dim."""
  want = (generator_config.num_ws, generator_config.w_dim)
  have = (encoder_config.n_styles, encoder_config.style_dim)
  if have != want or encoder_config.resolution != generator_config.resolution:
    raise ValueError(
      f"{source} encodes W+ [{have[0]}, {have[1]}] for a {encoder_config.resolution} px "
      f"generator; this generator needs W+ [{want[0]}, {want[1]}] at "
      f"{generator_config.resolution} px: use the encoder trained for this generator"
    )


def load_encoder(path, generator_config) -> Encoder:
  """A directory written by `isf-jax-convert e4e` (OUT/encoder), `python -m
  isf_jax.train_encoder` (WORKDIR/encoder) or `e4e.save_encoder`."""
  from isf_jax.encoders import e4e

  config, variables = e4e.load_encoder(path)
  check_encoder(config, generator_config, f"encoder {path}")
  return Encoder(config, variables, str(path))


# --- inversion -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Inversion:
  """Codes and reconstruction quality of N photos."""

  mode: str
  steps: int  # projector steps (0 for "encoder")
  space: str | None  # what the projector optimised ("w" or "wp"); None for "encoder"
  lpips_net: str
  wp: np.ndarray  # [N, L, C]
  reconstructions: np.ndarray  # [N, R, R, 3] in [-1, 1]
  lpips: np.ndarray  # [N]
  psnr: np.ndarray  # [N] dB
  seconds: np.ndarray  # [N] wall time per photo (the first includes compilation)
  photos: tuple[Photo, ...] = ()  # how each photo was read, when read from files

  def record(self, index: int) -> dict:
    """What a manifest keeps about photo `index`'s inversion (JSON-ready)."""
    return {
      "mode": self.mode,
      "steps": self.steps,
      "space": self.space,
      "lpips_net": self.lpips_net,
      "lpips": float(self.lpips[index]),
      "psnr": float(self.psnr[index]),
    }  # no time: the same inputs give the same manifest


def invert(
  images,
  mode: str,
  generator_config,
  generator_variables: dict,
  encoder: Encoder | None = None,
  steps: int = 1000,
  space: str | None = None,
  lpips_net: str = "vgg",
  lpips=None,
  seed: int = 0,
  progress: bool = False,
) -> Inversion:
  """Photos [N, R, R, 3] in [-1, 1] -> `Inversion` by `mode` (see the module docstring).

  space: what the projector optimises, "w" (default for "optimize") or "wp" (the only choice
  for "encoder+optimize": it starts from the encoder's W+). lpips: (module, variables) of
  LPIPS v0.1, default the cached weights of `lpips_net`.
  """
  images = _check_images(images, generator_config.resolution)
  space = _check_mode(mode, encoder, space)
  if lpips is None:
    from isf_jax.lpips.checkpoint import load_lpips

    lpips = load_lpips(lpips_net, "0.1", check_range=False)
  if mode != "encoder":
    refining = inversion.REFINE_SETTINGS if mode == "encoder+optimize" else {}
    projector = inversion.ProjectorConfig(
      num_steps=steps, space=space, lpips_net=lpips_net, **refining
    )
  fixed_noise = const_noise(generator_config, generator_variables)
  results = []
  several = len(images) > 1  # one bar over the photos; a single photo's bar counts steps
  bar_off = not (progress and several) or os.environ.get("TQDM_DISABLE") == "1"
  for image in tqdm(images, desc=f"invert ({mode})", unit="photo", file=sys.stderr,
                    disable=bar_off):  # fmt: skip
    start = time.perf_counter()
    initial = None
    if mode != "optimize":
      initial = np.asarray(encoder.encode(image[None]))[0]  # [L, C]
    if mode == "encoder":
      rendered, distance = _reconstruction_fn(generator_config, lpips[0])(
        generator_variables, lpips[1], initial[None], image[None]
      )
      rendered = np.asarray(rendered)
      quality = (float(distance), inversion.psnr(rendered, image))
    else:
      projection = inversion.project(
        generator_config,
        generator_variables,
        image,
        lpips=lpips,
        config=projector,
        seed=seed,
        progress=progress and not several,
        initial_latent=initial,
        initial_noise=fixed_noise if initial is not None else None,
      )
      initial, rendered = projection.latent, projection.reconstruction
      quality = (projection.lpips, projection.psnr)
    results.append((initial, rendered, *quality, time.perf_counter() - start))
  wp, rendered, distances, psnrs, seconds = (
    np.stack(column) for column in zip(*results, strict=True)
  )
  steps = 0 if mode == "encoder" else steps
  return Inversion(mode, steps, space, lpips_net, wp, rendered, distances, psnrs, seconds)


def _check_images(images, resolution: int) -> np.ndarray:
  images = np.asarray(images, np.float32)
  if images.ndim != 4 or images.shape[1:] != (resolution, resolution, 3) or not len(images):
    raise ValueError(
      f"images must be [N, {resolution}, {resolution}, 3] in [-1, 1] for this generator, "
      f"got shape {images.shape}"
    )
  return images


def _check_mode(mode: str, encoder: Encoder | None, space: str | None) -> str | None:
  """The projector's space for `mode` (None for "encoder"); errors for impossible choices."""
  if mode not in MODES:
    raise ValueError(f"inversion mode must be one of {list(MODES)}, got {mode!r}")
  if mode == "optimize":
    return space or "w"
  if encoder is None:
    raise ValueError(f"inversion mode {mode!r} needs an e4e encoder ({CONVERT_HINT})")
  if mode == "encoder+optimize" and space not in (None, "wp"):
    raise ValueError("encoder+optimize optimises the encoder's W+ codes: space must be 'wp'")
  return "wp" if mode == "encoder+optimize" else None


@functools.lru_cache(maxsize=8)
def _reconstruction_fn(config, lpips_model):
  """Jitted (generator vars, LPIPS vars, W+ [1, L, C], photo [1, R, R, 3]) -> (render
  [R, R, 3] clipped to [-1, 1], LPIPS), with the constant noise maps and the projector's
  LPIPS resolution."""
  generator = generator_module(config)  # StyleGAN2 or v1
  size = min(config.resolution, inversion.LPIPS_SIZE)

  @jax.jit
  def reconstruct(generator_variables, lpips_variables, wp, target):
    image = generator.apply(generator_variables, wp, method="synthesize")
    image = jnp.clip(image, -1, 1)
    small = (box_downsample(image, size), box_downsample(target, size))
    return image[0], lpips_model.apply(lpips_variables, *small)[0]

  return reconstruct
