"""Real photos to latent codes: optimisation in the manner of the StyleGAN2 projector.

Follows stylegan2-ada-pytorch `projector.py` (facts, not code): start from w_avg (the mean of
10k mapped z), optimise W (or W+) and every conv layer's noise map with Adam (0.9, 0.999)
against the LPIPS-VGG distance (NVIDIA's vgg16 equals LPIPS-VGG v0.1), with

  lr(t)      = lr0 * min(1, t / rampup) * (0.5 - 0.5 cos(pi * min(1, (1 - t) / rampdown)))
  w noise(t) = w_std * noise_factor * max(0, 1 - t / noise_ramp)^2   (added to w each step)
  loss       = LPIPS + 1e5 * sum over the noise pyramid of (autocorrelation at lag 1)^2

where t = step / steps; after each step every noise map is renormalised to zero mean and
unit variance. Images above 256 px are box-downsampled to 256 before LPIPS. Works with either
generator kind (StyleGAN2 or v1: `isf_jax.generators.generator_module`).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm import tqdm

from isf_jax.generators import generator_module, noise_shapes
from isf_jax.losses import box_downsample
from isf_jax.photos import load_photo

SPACES = ("w", "wp")
LPIPS_SIZE = 256


@dataclasses.dataclass(frozen=True)
class ProjectorConfig:
  """The projector's settings; defaults are stylegan2-ada-pytorch's."""

  num_steps: int = 1000
  space: str = "w"  # "w": one code for all layers (as NVIDIA); "wp": one per W+ layer
  initial_learning_rate: float = 0.1
  initial_noise_factor: float = 0.05
  lr_rampdown_length: float = 0.25
  lr_rampup_length: float = 0.05
  noise_ramp_length: float = 0.75
  regularize_noise_weight: float = 1e5
  w_avg_samples: int = 10_000
  # NVIDIA's vgg16 metric is LPIPS-VGG v0.1; "alex" is ~100x cheaper on a CPU (tests, demos)
  lpips_net: str = "vgg"

  def __post_init__(self):
    if self.space not in SPACES:
      raise ValueError(f"space must be one of {SPACES}, got {self.space!r}")
    if self.num_steps < 1:
      raise ValueError(f"num_steps must be at least 1, got {self.num_steps}")


# What "encoder+optimize" changes in the projector: the encoder's codes are already in the
# basin, so no exploratory noise on w and a tenth of the learning rate. With NVIDIA's
# from-w_avg settings, 20 steps after the demo encoder made its reconstructions 3.5x worse
# (LPIPS-Alex 0.0066 -> 0.0233 on 16 held-out renders); with these, 3.3x better (0.0020).
REFINE_SETTINGS = {"initial_learning_rate": 0.01, "initial_noise_factor": 0.0}


@dataclasses.dataclass(frozen=True)
class Projection:
  """The result: W+ [L, C], the optimised noise maps, and the reconstruction's quality."""

  latent: np.ndarray  # [L, C]
  noise: list  # per conv layer [R, R]
  lpips: float
  psnr: float
  lpips_history: np.ndarray  # [num_steps] LPIPS at each step (before its update)
  initial_psnr: float  # of the starting point (w_avg or the given latent and noise maps)
  reconstruction: np.ndarray  # [R, R, 3] in [-1, 1]: the latent rendered with `noise`


def w_statistics(config, variables: dict, num_samples: int, seed: int = 123):
  """(w_avg [C], w_std): mean of mapped z ~ N(0, I) and the RMS distance from it."""
  z = np.random.RandomState(seed).randn(num_samples, config.z_dim).astype(np.float32)
  ws = _map_fn(config)(variables, z)  # [N, L, C]
  w = np.asarray(ws[:, 0], np.float64)
  w_avg = w.mean(axis=0)
  w_std = np.sqrt(np.sum((w - w_avg) ** 2) / num_samples)
  return w_avg.astype(np.float32), float(w_std)


@functools.lru_cache(maxsize=8)
def _map_fn(config):
  """Jitted (variables, z) -> W+, compiled once per generator config: `project` asks for the
  statistics once per photo, and a fresh jit each time recompiled the mapping each time."""
  generator = generator_module(config)
  return jax.jit(lambda variables, z: generator.apply(variables, z, method="map"))


def noise_regularization(noises) -> jax.Array:
  """Sum over each noise map's pyramid (down to 8x8) of the squared lag-1 autocorrelations."""
  total = 0.0
  for noise in noises:
    n = noise  # [R, R]
    while True:
      total += jnp.mean(n * jnp.roll(n, 1, axis=1)) ** 2 + jnp.mean(n * jnp.roll(n, 1, axis=0)) ** 2
      if n.shape[0] <= 8:
        break
      r = n.shape[0] // 2
      n = n.reshape(r, 2, r, 2).mean(axis=(1, 3))
  return total


def learning_rate(step, config: ProjectorConfig, num_steps=None):
  t = step / (config.num_steps if num_steps is None else num_steps)
  ramp = jnp.minimum(1.0, (1.0 - t) / config.lr_rampdown_length)
  ramp = 0.5 - 0.5 * jnp.cos(ramp * jnp.pi)
  ramp = ramp * jnp.minimum(1.0, t / config.lr_rampup_length)
  return config.initial_learning_rate * ramp


def psnr(a, b) -> float:
  """PSNR in dB of images in [-1, 1] (peak 2)."""
  mse = float(np.mean((np.clip(np.asarray(a), -1, 1) - np.clip(np.asarray(b), -1, 1)) ** 2))
  return float(10 * np.log10(4.0 / max(mse, 1e-12)))


def load_image(path, resolution: int) -> np.ndarray:
  """An image file -> [resolution, resolution, 3] float32 in [-1, 1] (rules of `load_photo`,
  then `fit_square`)."""
  return fit_square(load_photo(path), resolution)


def fit_square(pixels, resolution: int) -> np.ndarray:
  """uint8 [H, W, 3] -> [resolution, resolution, 3] float32 in [-1, 1]: centre-cropped to a
  square, then resized with Lanczos."""
  from PIL import Image

  image = Image.fromarray(np.asarray(pixels))
  side = min(image.size)
  left, top = (image.width - side) // 2, (image.height - side) // 2
  image = image.crop((left, top, left + side, top + side))
  if side != resolution:
    image = image.resize((resolution, resolution), Image.LANCZOS)
  return np.asarray(image, np.float32) / 127.5 - 1.0


@functools.lru_cache(maxsize=8)
def _projector_fns(generator_config, config: ProjectorConfig, lpips_model):
  """Jitted (step, reconstruct) for one generator architecture, settings and LPIPS module:
  compiled once, then reused for every image (called with num_steps and w_avg_samples
  normalised away: the step count is an argument)."""
  generator = generator_module(generator_config)  # StyleGAN2 or v1
  num_ws = generator_config.num_ws
  lpips_size = min(generator_config.resolution, LPIPS_SIZE)
  optimizer = _optimizer()

  def synthesize(gen_vars, w, noise):  # [1, C] or [1, L, C] -> [1, R, R, 3]
    ws = jnp.broadcast_to(w[:, None], (1, num_ws, w.shape[-1])) if w.ndim == 2 else w
    return generator.apply(gen_vars, ws, noise=noise, method="synthesize")

  def distance(lpips_vars, image, target_small):
    return lpips_model.apply(lpips_vars, box_downsample(image, lpips_size), target_small)[0]

  def loss_fn(params, frozen, w_noise):
    image = synthesize(frozen["generator"], params["w"] + w_noise, params["noise"])
    d = distance(frozen["lpips"], image, frozen["target"])
    return d + config.regularize_noise_weight * noise_regularization(params["noise"]), d

  @jax.jit
  def step(params, opt_state, frozen, step_index, num_steps, key, w_std):
    t = step_index / num_steps
    ramp = jnp.maximum(0.0, 1.0 - t / config.noise_ramp_length) ** 2
    w_noise = (w_std * config.initial_noise_factor * ramp) * jax.random.normal(
      jax.random.fold_in(key, step_index), params["w"].shape
    )
    opt_state.hyperparams["learning_rate"] = learning_rate(step_index, config, num_steps)
    (_, d), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, frozen, w_noise)
    updates, opt_state = optimizer.update(grads, opt_state, params)
    params = optax.apply_updates(params, updates)
    params["noise"] = [
      (n - n.mean()) * jax.lax.rsqrt(jnp.mean((n - n.mean()) ** 2)) for n in params["noise"]
    ]
    return params, opt_state, d

  @jax.jit
  def reconstruct(params, frozen):  # the image as saved [R, R, 3], and its LPIPS
    image = jnp.clip(synthesize(frozen["generator"], params["w"], params["noise"]), -1, 1)
    return image[0], distance(frozen["lpips"], image, frozen["target"])

  return step, reconstruct


def _optimizer():
  return optax.inject_hyperparams(optax.adam)(learning_rate=0.0, b1=0.9, b2=0.999, eps=1e-8)


def project(
  generator_config,
  generator_variables: dict,
  target,
  lpips=None,
  config: ProjectorConfig = ProjectorConfig(),
  seed: int = 0,
  progress: bool = True,
  initial_latent=None,
  initial_noise=None,
) -> Projection:
  """Find the latent whose render matches `target` [R, R, 3] in [-1, 1].

  lpips: (module, variables) of LPIPS v0.1; default the cached converted weights of
  `config.lpips_net`. initial_latent: where to start instead of w_avg, W [C] for space "w"
  or W+ [L, C] for "wp" (e.g. an encoder's codes); initial_noise: the noise maps to start
  from, one [R, R] per conv layer, instead of random ones.
  """
  if lpips is None:
    from isf_jax.lpips.checkpoint import load_lpips

    lpips = load_lpips(config.lpips_net, "0.1", check_range=False)
  lpips_model, lpips_vars = lpips
  res = generator_config.resolution
  target = np.asarray(target, np.float32)
  if target.shape != (res, res, 3):
    raise ValueError(f"target must be [{res}, {res}, 3] for this generator, got {target.shape}")
  w_avg, w_std = w_statistics(generator_config, generator_variables, config.w_avg_samples)
  lpips_size = min(res, LPIPS_SIZE)
  frozen = {
    "generator": generator_variables,
    "lpips": lpips_vars,
    "target": box_downsample(jnp.asarray(target)[None], lpips_size),  # [1, S, S, 3]
  }
  key = jax.random.key(seed)
  c = generator_config.w_dim
  shape = (1, c) if config.space == "w" else (1, generator_config.num_ws, c)
  params = {
    "w": _initial_latent(initial_latent, w_avg, shape),
    "noise": _initial_noise(initial_noise, noise_shapes(generator_config), key),
  }
  opt_state = _optimizer().init(params)
  step, reconstruct = _projector_fns(
    generator_config, dataclasses.replace(config, num_steps=1, w_avg_samples=1), lpips_model
  )

  initial_psnr = psnr(reconstruct(params, frozen)[0], target)
  history = []
  w_noise_key = jax.random.fold_in(key, 1_000_003)
  disable = not progress or os.environ.get("TQDM_DISABLE") == "1"
  for i in tqdm(
    range(config.num_steps), desc="invert", unit="step", file=sys.stderr, disable=disable
  ):
    params, opt_state, distance = step(
      params, opt_state, frozen, i, config.num_steps, w_noise_key, w_std
    )
    history.append(distance)

  final, final_lpips = reconstruct(params, frozen)
  wp = np.broadcast_to(np.asarray(params["w"]).reshape(-1, c), (generator_config.num_ws, c))
  return Projection(
    latent=np.array(wp, np.float32),
    noise=[np.asarray(n) for n in params["noise"]],
    lpips=float(final_lpips),
    psnr=psnr(final, target),
    lpips_history=np.asarray(jax.device_get(history), np.float32),
    initial_psnr=initial_psnr,
    reconstruction=np.asarray(final),
  )


def _initial_latent(latent, w_avg, shape) -> jax.Array:
  if latent is None:
    return jnp.broadcast_to(jnp.asarray(w_avg), shape)
  latent = np.asarray(latent, np.float32)
  if latent.shape != shape[1:]:
    space = "W [C]" if len(shape) == 2 else "W+ [L, C]"
    raise ValueError(f"initial_latent must be {space} = {list(shape[1:])}, got {latent.shape}")
  return jnp.asarray(latent)[None]


def _initial_noise(noise, shapes, key) -> list:
  if noise is None:
    return [jax.random.normal(jax.random.fold_in(key, i), s) for i, s in enumerate(shapes)]
  if [np.shape(n) for n in noise] != shapes:
    raise ValueError(f"initial_noise must be maps of shapes {shapes}")
  return [jnp.asarray(n, jnp.float32) for n in noise]
