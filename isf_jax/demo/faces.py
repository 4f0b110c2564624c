"""A procedural world of face-like drawings with named binary attributes (numpy only).

Every image is drawn from one integer seed: the seed fixes a vector of uniform draws
(`NUM_DRAWS` of them, from `np.random.default_rng(seed)`), and everything else, including
the labels, is a vectorised function of those draws. Labels are therefore exact: they are
the renderer's own switches, not a classifier's guess.

Attributes (index: name, 1 means):
  0 glasses          dark round frames with tinted lenses over the eyes
  1 smile            a wide open red mouth (0: a short flat line)
  2 blond_hair       straw-coloured hair (0: dark brown/black)
  3 long_hair        hair falling beside the face onto the shoulders (0: a short cap)
  4 dark_skin        brown skin (0: pale skin)
  5 dark_background  a deep saturated backdrop (0: a pale one)

Joint rule (correlated as real attributes are; everything else is independent):
  P(glasses) = 0.4, P(smile) = 0.5, P(dark_skin) = 0.4, P(dark_background) = 0.5,
  P(long_hair | smile) = 0.3,   P(long_hair | no smile) = 0.7    (marginal 0.5),
  P(blond | pale skin) = 0.6,   P(blond | dark skin) = 0.25      (marginal 0.46).

Nuisance variation an edit should keep: face width and height, head position (a few
pixels), eye spacing and size, mouth height, the background pattern (stripe angle,
frequency, phase, contrast), the shirt colour, and every colour within its class (skin,
hair, backdrop and frame shades).

Shapes are anti-aliased analytically: each primitive's coverage is a clipped signed
distance in pixels, so any resolution renders without supersampling.
"""

from __future__ import annotations

import numpy as np

ATTRIBUTES = ("glasses", "smile", "blond_hair", "long_hair", "dark_skin", "dark_background")
NUM_DRAWS = 32  # uniforms per image; fixed so a seed's image never depends on its batch
CHUNK = 256  # images rendered at once ([CHUNK, R, R] float32 planes)

P_GLASSES, P_SMILE, P_DARK_SKIN, P_DARK_BACKGROUND = 0.4, 0.5, 0.4, 0.5
P_LONG_GIVEN_SMILE, P_LONG_GIVEN_NO_SMILE = 0.3, 0.7
P_BLOND_GIVEN_PALE, P_BLOND_GIVEN_DARK = 0.6, 0.25

# Colour classes: base RGB in [0, 1] and the half-width of a uniform jitter per channel.
PALE_SKIN, DARK_SKIN = (0.96, 0.78, 0.66), (0.47, 0.29, 0.18)
DARK_HAIR, BLOND_HAIR = (0.13, 0.08, 0.05), (0.95, 0.80, 0.38)
PALE_BACKDROPS = np.array([(0.86, 0.88, 0.92), (0.90, 0.90, 0.82), (0.84, 0.92, 0.86)])
DARK_BACKDROPS = np.array([(0.10, 0.16, 0.42), (0.08, 0.32, 0.22), (0.34, 0.10, 0.30)])
MOUTH_RED, FRAME_BLACK, LENS_TINT = (0.72, 0.10, 0.14), (0.05, 0.05, 0.07), (0.62, 0.88, 0.98)
COLOUR_JITTER = 0.05
LENS_RADIUS, RIM_HALF_WIDTH = 0.115, 0.028


def draws(seeds) -> np.ndarray:
  """[N] integer seeds -> [N, NUM_DRAWS] uniforms in [0, 1)."""
  seeds = np.asarray(seeds, np.int64).reshape(-1)
  if np.any(seeds < 0):
    raise ValueError("seeds must be non-negative integers")
  return np.stack([np.random.default_rng(int(s)).random(NUM_DRAWS) for s in seeds])


def labels_from_draws(u) -> np.ndarray:
  """[N, NUM_DRAWS] -> int32 [N, len(ATTRIBUTES)], the joint rule of the module docstring."""
  glasses = u[:, 0] < P_GLASSES
  smile = u[:, 1] < P_SMILE
  dark_skin = u[:, 4] < P_DARK_SKIN
  dark_background = u[:, 5] < P_DARK_BACKGROUND
  long_hair = u[:, 3] < np.where(smile, P_LONG_GIVEN_SMILE, P_LONG_GIVEN_NO_SMILE)
  blond = u[:, 2] < np.where(dark_skin, P_BLOND_GIVEN_DARK, P_BLOND_GIVEN_PALE)
  return np.stack([glasses, smile, blond, long_hair, dark_skin, dark_background], 1).astype(
    np.int32
  )


def _jittered(base, u):
  """Base colour(s) [3] or [N, 3] plus a per-channel jitter from uniforms u [N, 3]."""
  return np.clip(np.asarray(base) + (2.0 * u - 1.0) * COLOUR_JITTER, 0.0, 1.0)


def _pick(flag, when_true, when_false):
  return np.where(flag[:, None], np.asarray(when_true), np.asarray(when_false))


def parameters(u) -> dict:
  """Drawing parameters (arrays over the batch) from the uniforms [N, NUM_DRAWS].

  Lengths are in image units: the image spans [-1, 1] on both axes, y pointing down.
  """
  lab = labels_from_draws(u).astype(bool)
  backdrop = _pick(
    lab[:, 5],
    DARK_BACKDROPS[(u[:, 6] * 3).astype(int)],
    PALE_BACKDROPS[(u[:, 6] * 3).astype(int)],
  )
  return {
    "labels": lab,
    "backdrop": _jittered(backdrop, u[:, 7:10]),
    "skin": _jittered(_pick(lab[:, 4], DARK_SKIN, PALE_SKIN), u[:, 10:13]),
    "hair": _jittered(_pick(lab[:, 2], BLOND_HAIR, DARK_HAIR), u[:, 13:16]),
    "shirt": 0.25 + 0.55 * u[:, 16:19],  # any mid colour
    "stripe_angle": np.pi * u[:, 19],
    "stripe_freq": 6.0 + 8.0 * u[:, 20],
    "stripe_phase": 2.0 * np.pi * u[:, 21],
    "stripe_amp": 0.02 + 0.05 * u[:, 22],
    "cx": 0.12 * (2.0 * u[:, 23] - 1.0),
    "cy": -0.12 + 0.06 * (2.0 * u[:, 24] - 1.0),
    "rx": 0.34 + 0.08 * u[:, 25],
    "ry": 0.42 + 0.08 * u[:, 26],
    "eye_gap": 0.13 + 0.05 * u[:, 27],
    "eye_r": 0.045 + 0.02 * u[:, 28],
    "mouth_dy": 0.22 + 0.08 * u[:, 29],
    "frame_shade": 0.08 * u[:, 30],
  }


class _Canvas:
  """A batch of RGB images [B, R, R, 3] and the pixel grid, composited back to front."""

  def __init__(self, batch: int, resolution: int):
    centres = (np.arange(resolution, dtype=np.float32) + 0.5) / resolution * 2.0 - 1.0
    self.y, self.x = np.meshgrid(centres, centres, indexing="ij")  # [R, R] each
    self.pixel = 2.0 / resolution
    self.rgb = np.zeros((batch, resolution, resolution, 3), np.float32)

  def coverage(self, signed_distance):
    """Anti-aliased coverage of the region where the distance (image units) is negative."""
    return np.clip(0.5 - signed_distance / self.pixel, 0.0, 1.0)

  def ellipse(self, cx, cy, rx, ry):
    """Coverage [B, R, R] of ellipses with per-image centre and radii ([B] arrays)."""
    dx = (self.x - cx[:, None, None]) / rx[:, None, None]
    dy = (self.y - cy[:, None, None]) / ry[:, None, None]
    radius = np.minimum(rx, ry)[:, None, None]
    return self.coverage((np.sqrt(dx * dx + dy * dy) - 1.0) * radius)

  def half_plane_below(self, y0):
    """Coverage of y > y0 ([B] thresholds)."""
    return self.coverage(y0[:, None, None] - self.y)

  def paint(self, alpha, colour):
    """Composite colour [B, 3] (or [3]) over the canvas with coverage alpha [B, R, R]."""
    colour = np.broadcast_to(np.asarray(colour, np.float32), (alpha.shape[0], 3))
    a = alpha[..., None].astype(np.float32)
    self.rgb = self.rgb * (1.0 - a) + a * colour[:, None, None, :]


def _draw_background(canvas: _Canvas, p):
  angle = p["stripe_angle"][:, None, None]
  along = canvas.x * np.cos(angle) + canvas.y * np.sin(angle)
  wave = np.sin(p["stripe_freq"][:, None, None] * along + p["stripe_phase"][:, None, None])
  shade = 1.0 + p["stripe_amp"][:, None, None] * wave  # [B, R, R]
  canvas.rgb = np.clip(p["backdrop"][:, None, None, :] * shade[..., None], 0.0, 1.0).astype(
    np.float32
  )


def _draw_head(canvas: _Canvas, p):
  cx, cy, rx, ry = p["cx"], p["cy"], p["rx"], p["ry"]
  long_hair = p["labels"][:, 3]
  one = np.ones_like(cx)
  canvas.paint(canvas.ellipse(cx, one * 1.12, one * 0.8, one * 0.42), p["shirt"])
  # Long hair: a mane behind the head reaching the shoulders, wider than the face.
  mane = canvas.ellipse(cx, cy + 0.3, rx * 1.4, ry * 1.3) * long_hair[:, None, None]
  canvas.paint(mane, p["hair"])
  neck_half = canvas.coverage(np.abs(canvas.x - cx[:, None, None]) - 0.6 * rx[:, None, None])
  canvas.paint(neck_half * canvas.half_plane_below(cy), p["skin"] * 0.85)
  canvas.paint(canvas.ellipse(cx, cy, rx, ry), p["skin"])
  # Hair cap over the top of the head, ending at the forehead.
  cap = canvas.ellipse(cx, cy - 0.06, rx * 1.1, ry * 1.03)
  cap = cap * (1.0 - canvas.half_plane_below(cy - 0.42 * ry))
  canvas.paint(cap, p["hair"])


def _draw_features(canvas: _Canvas, p):
  cx, cy, ry = p["cx"], p["cy"], p["ry"]
  eye_y = cy - 0.05
  glasses = p["labels"][:, 0].astype(np.float32)
  for side in (-1.0, 1.0):
    ex = cx + side * p["eye_gap"]
    canvas.paint(canvas.ellipse(ex, eye_y, p["eye_r"] * 1.4, p["eye_r"] * 1.4), (0.97, 0.97, 0.97))
    canvas.paint(canvas.ellipse(ex, eye_y, p["eye_r"], p["eye_r"]), (0.08, 0.06, 0.05))
    lens_r = np.full_like(ex, LENS_RADIUS)
    rim = canvas.coverage(
      np.abs(
        np.sqrt((canvas.x - ex[:, None, None]) ** 2 + (canvas.y - eye_y[:, None, None]) ** 2)
        - lens_r[:, None, None]
      )
      - RIM_HALF_WIDTH
    )
    lens = canvas.ellipse(ex, eye_y, lens_r, lens_r)
    canvas.paint(lens * glasses[:, None, None] * 0.35, LENS_TINT)
    frame = np.clip(np.asarray(FRAME_BLACK) + p["frame_shade"][:, None], 0.0, 1.0)
    canvas.paint(rim * glasses[:, None, None], frame)
  bridge = canvas.coverage(
    np.maximum(
      np.abs(canvas.x - cx[:, None, None]) - (p["eye_gap"][:, None, None] - 0.11),
      np.abs(canvas.y - eye_y[:, None, None] + 0.01) - 0.022,
    )
  )
  canvas.paint(bridge * glasses[:, None, None], FRAME_BLACK)
  _draw_mouth(canvas, p, cx, cy + p["mouth_dy"] * ry / 0.46)


def _draw_mouth(canvas: _Canvas, p, mx, my):
  smile = p["labels"][:, 1].astype(np.float32)[:, None, None]
  # Smile: the lower half of a wide ellipse; neutral: a short flat bar.
  open_mouth = canvas.ellipse(mx, my, np.full_like(mx, 0.17), np.full_like(mx, 0.11))
  open_mouth = open_mouth * canvas.half_plane_below(my - 0.01)
  bar = canvas.coverage(
    np.maximum(
      np.abs(canvas.x - mx[:, None, None]) - 0.09, np.abs(canvas.y - my[:, None, None]) - 0.022
    )
  )
  canvas.paint(smile * open_mouth + (1.0 - smile) * bar, MOUTH_RED)


def render_draws(u, resolution: int = 64) -> np.ndarray:
  """[N, NUM_DRAWS] uniforms -> uint8 images [N, R, R, 3]."""
  out = np.empty((u.shape[0], resolution, resolution, 3), np.uint8)
  for start in range(0, u.shape[0], CHUNK):
    p = parameters(u[start : start + CHUNK])
    canvas = _Canvas(len(p["cx"]), resolution)
    _draw_background(canvas, p)
    _draw_head(canvas, p)
    _draw_features(canvas, p)
    out[start : start + CHUNK] = np.round(canvas.rgb * 255.0).astype(np.uint8)
  return out


def render(seeds, resolution: int = 64) -> tuple[np.ndarray, np.ndarray]:
  """(uint8 images [N, R, R, 3], int32 labels [N, len(ATTRIBUTES)]) for integer seeds."""
  if resolution < 8:
    raise ValueError(f"resolution must be at least 8 pixels, got {resolution}")
  u = draws(seeds)
  return render_draws(u, resolution), labels_from_draws(u)


def render_range(start: int, stop: int, resolution: int = 64):
  """`render` for the seeds start, start + 1, ..., stop - 1."""
  if stop <= start:
    raise ValueError(f"empty seed range [{start}, {stop})")
  return render(np.arange(start, stop), resolution)
