"""StyleGAN2 generator (config F) in Flax linen, NHWC.

Parameter names follow NVlabs stylegan2-ada-pytorch (`mapping/fc0`, `synthesis/b64/conv0`,
...), so converters are declarative renames. Parameters are stored unscaled and the
equalised-learning-rate gains are applied at run time, as in the references.

Variable collections:
  params:  weights and biases.
  buffers: `mapping/w_avg` (the truncation centre) and per-layer `noise_const` maps.
"""

from __future__ import annotations

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from isf_jax.stylegan2 import ops
from isf_jax.stylegan2.config import GeneratorConfig, noise_resolution

NOISE_MODES = ("const", "none", "random")


def _standard_normal(key, shape, dtype=jnp.float32):
  return jax.random.normal(key, shape, dtype)


class EqualizedDense(nn.Module):
  """Fully connected layer with equalised learning rate; weight stored as [in, out]."""

  features: int
  lr_multiplier: float = 1.0
  bias_init: float = 0.0
  activate: bool = False
  precision: Any = None

  @nn.compact
  def __call__(self, x):  # [N, in] -> [N, features]
    in_features = x.shape[-1]
    weight = self.param(
      "weight",
      lambda key, shape: _standard_normal(key, shape) / self.lr_multiplier,
      (in_features, self.features),
    )
    bias = self.param("bias", nn.initializers.constant(self.bias_init), (self.features,))
    weight_gain = self.lr_multiplier / math.sqrt(in_features)
    y = jnp.matmul(x, weight * weight_gain, precision=self.precision)
    return ops.bias_act(y, bias * self.lr_multiplier, activate=self.activate, clamp=None)


class MappingNetwork(nn.Module):
  """z -> w: pixel norm, then `mapping_layers` leaky-ReLU layers."""

  config: GeneratorConfig
  precision: Any = None

  @nn.compact
  def __call__(self, z):  # [N, z_dim] -> [N, w_dim]
    cfg = self.config
    self.variable("buffers", "w_avg", jnp.zeros, (cfg.w_dim,))
    x = ops.normalize_2nd_moment(z.astype(jnp.float32))
    for i in range(cfg.mapping_layers):
      x = EqualizedDense(
        cfg.w_dim,
        lr_multiplier=cfg.mapping_lr_multiplier,
        activate=True,
        precision=self.precision,
        name=f"fc{i}",
      )(x)
    return x

  def w_avg(self):
    return self.get_variable("buffers", "w_avg")


class SynthesisLayer(nn.Module):
  """Modulated 3x3 conv (optionally upsampling), noise, bias, leaky ReLU, clamp."""

  out_channels: int
  resolution: int
  up: bool = False
  conv_clamp: float | None = None
  fused: bool = False
  dtype: Any = jnp.float32
  precision: Any = None

  @nn.compact
  def __call__(self, x, w, noise_mode: str, noise=None):
    # x [N, H, W, I], w [N, w_dim]; noise (explicit/random) broadcastable to [N, R, R, 1]
    in_channels = x.shape[-1]
    styles = EqualizedDense(in_channels, bias_init=1.0, precision=self.precision, name="affine")(w)
    weight = self.param("weight", _standard_normal, (3, 3, in_channels, self.out_channels))
    bias = self.param("bias", nn.initializers.zeros, (self.out_channels,))
    noise_strength = self.param("noise_strength", nn.initializers.zeros, ())
    noise_const = self.variable(
      "buffers",
      "noise_const",
      lambda: _standard_normal(self.make_rng("params"), (self.resolution, self.resolution)),
    )
    if noise is None and noise_mode == "const":
      noise = noise_const.value[None, :, :, None]
    if noise is not None:
      noise = (noise * noise_strength).astype(self.dtype)

    y = ops.modulated_conv2d(
      x.astype(self.dtype),
      weight.astype(self.dtype),
      styles.astype(self.dtype),
      demodulate=True,
      up=self.up,
      fused=self.fused,
      noise=noise,
      precision=self.precision,
    )
    return ops.bias_act(y, bias.astype(self.dtype), activate=True, clamp=self.conv_clamp)


class ToRGB(nn.Module):
  """Modulated 1x1 conv to RGB without demodulation."""

  img_channels: int
  conv_clamp: float | None = None
  fused: bool = False
  dtype: Any = jnp.float32
  precision: Any = None

  @nn.compact
  def __call__(self, x, w):  # x [N, H, W, I] -> [N, H, W, img_channels]
    in_channels = x.shape[-1]
    styles = EqualizedDense(in_channels, bias_init=1.0, precision=self.precision, name="affine")(w)
    weight = self.param("weight", _standard_normal, (1, 1, in_channels, self.img_channels))
    bias = self.param("bias", nn.initializers.zeros, (self.img_channels,))
    styles = styles * (1.0 / math.sqrt(in_channels))  # equalised lr, applied to the styles
    y = ops.modulated_conv2d(
      x.astype(self.dtype),
      weight.astype(self.dtype),
      styles.astype(self.dtype),
      demodulate=False,
      fused=self.fused,
      precision=self.precision,
    )
    return ops.bias_act(y.astype(jnp.float32), bias, activate=False, clamp=self.conv_clamp)


class SynthesisBlock(nn.Module):
  """One resolution: [up-conv] conv, ToRGB, and the upsampled RGB skip."""

  config: GeneratorConfig
  resolution: int
  fused: bool = False
  dtype: Any = jnp.float32
  precision: Any = None

  @nn.compact
  def __call__(self, x, img, ws, noise_mode, noises):
    # x [N, R/2, R/2, C] or None (4x4), img [N, R/2, R/2, 3] or None,
    # ws [N, num_conv + 1, w_dim]: this block's convs then its ToRGB; noises per conv.
    cfg = self.config
    channels = cfg.channels_at(self.resolution)
    layer = lambda name, up: SynthesisLayer(  # noqa: E731
      channels,
      self.resolution,
      up=up,
      conv_clamp=cfg.conv_clamp,
      fused=self.fused,
      dtype=self.dtype,
      precision=self.precision,
      name=name,
    )
    if x is None:
      const = self.param("const", _standard_normal, (4, 4, channels))
      x = jnp.broadcast_to(const, (ws.shape[0], 4, 4, channels)).astype(self.dtype)
      x = layer("conv1", False)(x, ws[:, 0], noise_mode, noises[0])
    else:
      x = layer("conv0", True)(x, ws[:, 0], noise_mode, noises[0])
      x = layer("conv1", False)(x, ws[:, 1], noise_mode, noises[1])
    y = ToRGB(
      cfg.img_channels,
      conv_clamp=cfg.conv_clamp,
      fused=self.fused,
      dtype=self.dtype,
      precision=self.precision,
      name="torgb",
    )(x, ws[:, -1])
    if img is not None:
      y = ops.upsample_2x(img, precision=self.precision) + y
    return x, y


class SynthesisNetwork(nn.Module):
  """W+ -> image. Conv layer i reads ws[:, i]; the ToRGB at 2^r reads ws[:, 2r - 3]."""

  config: GeneratorConfig
  fused: bool = False
  dtype: Any = jnp.float32
  precision: Any = None

  @nn.compact
  def __call__(self, ws, noise_mode="const", noise=None, rng=None):
    cfg = self.config
    ws = broadcast_ws(ws, cfg.num_ws)  # [N, num_ws, w_dim]
    noises = resolve_noise(cfg, ws.shape[0], noise_mode, noise, rng)
    x = img = None
    layer = 0
    for res in cfg.resolutions:
      num_conv = 1 if res == 4 else 2
      block_ws = ws[:, layer : layer + num_conv + 1]
      block_noise = noises[layer : layer + num_conv]
      x, img = SynthesisBlock(
        cfg, res, fused=self.fused, dtype=self.dtype, precision=self.precision, name=f"b{res}"
      )(x, img, block_ws, noise_mode, block_noise)
      layer += num_conv
    return img  # [N, R, R, img_channels], float32


def broadcast_ws(ws, num_ws: int):
  """Accept W [N, w_dim] or W+ [N, num_ws, w_dim]; return W+."""
  if ws.ndim == 2:
    return jnp.broadcast_to(ws[:, None, :], (ws.shape[0], num_ws, ws.shape[1]))
  if ws.ndim != 3 or ws.shape[1] != num_ws:
    raise ValueError(f"expected W [N, w_dim] or W+ [N, {num_ws}, w_dim], got shape {ws.shape}")
  return ws


def resolve_noise(cfg: GeneratorConfig, batch: int, mode: str, noise, rng) -> list:
  """Per conv layer noise input: an array, or None (use the const buffer / no noise)."""
  if noise is not None:
    if len(noise) != cfg.num_conv_layers:
      raise ValueError(f"noise needs {cfg.num_conv_layers} arrays, one per conv, got {len(noise)}")
    out = []
    for i, n in enumerate(noise):
      r = noise_resolution(i)
      n = jnp.asarray(n, jnp.float32)
      n = n.reshape(n.shape[0], r, r, 1) if n.ndim != 2 else n[None, :, :, None]
      out.append(n)
    return out
  if mode not in NOISE_MODES:
    raise ValueError(f"noise_mode must be one of {NOISE_MODES} or explicit arrays, got {mode!r}")
  if mode == "random":
    if rng is None:
      raise ValueError("noise_mode='random' needs an explicit PRNG key (rng=...)")
    return [
      jax.random.normal(
        jax.random.fold_in(rng, i), (batch, noise_resolution(i), noise_resolution(i), 1)
      )
      for i in range(cfg.num_conv_layers)
    ]
  return [None] * cfg.num_conv_layers


def truncate(ws, w_avg, psi: float = 1.0, cutoff: int | None = None):
  """Pull W+ towards w_avg: w_avg + psi (w - w_avg) on layers [0, cutoff)."""
  truncated = w_avg + psi * (ws - w_avg)
  if cutoff is None:
    return truncated
  layer = jnp.arange(ws.shape[1])[None, :, None]
  return jnp.where(layer < cutoff, truncated, ws)


def mix_styles(ws_a, ws_b, inject_index: int):
  """Style mixing: layers [0, inject_index) from ws_a, the rest from ws_b (both W+)."""
  return jnp.concatenate([ws_a[:, :inject_index], ws_b[:, inject_index:]], axis=1)


class StyleGenerator(nn.Module):
  """What StyleGAN v1 and v2 generators share: `map` (z -> W+), `synthesize` (W or W+ ->
  image), both (`__call__`) and `w_avg`. A subclass builds `self.mapping` and `self.synthesis`
  in its `setup`.

  Images are NHWC, float32, roughly in [-1, 1].
  """

  config: Any

  def __call__(self, z, psi=1.0, cutoff=None, noise_mode="const", noise=None, rng=None):
    return self.synthesize(self.map(z, psi, cutoff), noise_mode=noise_mode, noise=noise, rng=rng)

  def map(self, z, psi: float = 1.0, cutoff: int | None = None):
    """z [N, z_dim] -> W+ [N, num_ws, w_dim], truncated with psi on layers < cutoff."""
    if z.ndim != 2 or z.shape[1] != self.config.z_dim:
      raise ValueError(f"expected z [N, {self.config.z_dim}], got shape {z.shape}")
    ws = broadcast_ws(self.mapping(z), self.config.num_ws)
    if psi == 1.0:
      return ws
    return truncate(ws, self.mapping.w_avg(), psi, cutoff)

  def synthesize(self, ws, noise_mode="const", noise=None, rng=None):
    """W [N, w_dim] or W+ [N, num_ws, w_dim] -> image [N, R, R, C]."""
    return self.synthesis(ws, noise_mode=noise_mode, noise=noise, rng=rng)

  def w_avg(self):
    return self.mapping.w_avg()


class Generator(StyleGenerator):
  """StyleGAN2 generator (config F)."""

  # The shared-weight form by default: on XLA:CPU the grouped (fused) form is 2-4x slower
  # forward and 8-13x slower forward+backward (bench/generator.py, docs/performance.md), and
  # it is what stylegan2-ada trains with. bench/generator.py --fused both measures a device.
  fused_modconv: bool = False
  dtype: Any = jnp.float32  # compute dtype of the synthesis convs (e.g. jnp.bfloat16)
  precision: Any = None

  def setup(self):
    self.mapping = MappingNetwork(self.config, precision=self.precision)
    self.synthesis = SynthesisNetwork(
      self.config, fused=self.fused_modconv, dtype=self.dtype, precision=self.precision
    )


def initialised(generator_class, config, seed: int = 0, **module_kwargs):
  """(module, variables) of a StyleGenerator subclass with deterministic random weights."""
  model = generator_class(config, **module_kwargs)
  z = jnp.zeros((1, config.z_dim), jnp.float32)
  return model, jax.jit(model.init)(jax.random.key(seed), z)


def shapes_of(generator_class, config) -> dict:
  """The shape tree of a StyleGenerator subclass's variables, without computing anything."""
  z = jax.ShapeDtypeStruct((1, config.z_dim), jnp.float32)
  return jax.eval_shape(generator_class(config).init, jax.random.key(0), z)


def init_generator(
  config: GeneratorConfig, seed: int = 0, **module_kwargs
) -> tuple[Generator, dict]:
  """A generator with deterministic random weights (noise strengths 0, as freshly built)."""
  return initialised(Generator, config, seed, **module_kwargs)


def variable_shapes(config: GeneratorConfig) -> dict:
  """The shape tree of a generator's variables, without computing anything."""
  return shapes_of(Generator, config)


def mean_w(config: GeneratorConfig, variables: dict, num_z: int = 10_000, seed: int = 0):
  """Mean mapped W of `num_z` standard-normal z from numpy RandomState(seed), float32 [w_dim]."""
  z = np.random.RandomState(seed).randn(num_z, config.z_dim).astype(np.float32)
  mapping_vars = {c: variables[c]["mapping"] for c in ("params", "buffers")}
  ws = jax.jit(MappingNetwork(config).apply)(mapping_vars, z)
  return np.asarray(ws, np.float64).mean(axis=0).astype(np.float32)
