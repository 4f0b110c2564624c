"""StyleGAN (v1) generator in Flax linen, NHWC, with the interface of `isf_jax.stylegan2`.

Op order follows NVlabs `G_style` (training/networks_stylegan.py) as ported to PyTorch by
InterFaceGAN (models/stylegan_generator_model.py):
  mapping: pixel norm, then per layer x @ W * (sqrt 2 * lrmul / sqrt(fan_in)) + b * lrmul,
    leaky ReLU 0.2 (the sqrt 2 gain lives in the weight scale, not after the activation);
  every synthesis layer: [const | (upsample) conv * wscale (blur if upsampling)], then the
    epilogue: + noise * per-channel strength, + bias, leaky ReLU, instance norm, style
    modulation x * (s + 1) + t with [s, t] = affine(w);
  upsampling: nearest neighbour + 3x3 conv below `fused_upsample_min_res`, above it one
    stride-2 transposed conv with the 3x3 kernel summed into 4x4 (both followed by the
    [1, 2, 1] blur);
  ToRGB (1x1 conv, gain 1) at the final resolution only.

Variables (weights stored unscaled, equalised-lr gains applied at run time):
  params/mapping/fc{i}/{weight [in, out], bias}
  params/synthesis/b4/input/{const [4, 4, C], bias, noise_strength [C], style/{weight, bias}}
  params/synthesis/b{r}/{conv0, conv1}/{weight [3, 3, I, O], bias, noise_strength, style/...}
    (b4 has only conv1; conv0 upsamples)
  params/synthesis/torgb/{weight [1, 1, C, img_channels], bias}
  buffers/mapping/w_avg, buffers/synthesis/b{r}/{input, conv0, conv1}/noise_const [R, R]
"""

from __future__ import annotations

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from isf_jax.stylegan1 import ops
from isf_jax.stylegan1.config import GeneratorConfig, noise_resolution
from isf_jax.stylegan2.networks import (
  StyleGenerator,
  broadcast_ws,
  initialised,
  mix_styles,
  shapes_of,
  truncate,
)
from isf_jax.stylegan2.ops import conv2d

__all__ = ["Generator", "init_generator", "mix_styles", "truncate"]

NOISE_MODES = ("const", "none", "random")
HE_GAIN = math.sqrt(2.0)


def _standard_normal(key, shape, dtype=jnp.float32):
  return jax.random.normal(key, shape, dtype)


class EqualizedDense(nn.Module):
  """Fully connected layer with equalised learning rate; weight stored as [in, out]."""

  features: int
  gain: float = HE_GAIN
  lr_multiplier: float = 1.0
  precision: Any = None

  @nn.compact
  def __call__(self, x):  # [N, in] -> [N, features]
    in_features = x.shape[-1]
    weight = self.param(
      "weight",
      lambda key, shape: _standard_normal(key, shape) / self.lr_multiplier,
      (in_features, self.features),
    )
    bias = self.param("bias", nn.initializers.zeros, (self.features,))
    scale = self.gain / math.sqrt(in_features) * self.lr_multiplier
    return jnp.matmul(x, weight, precision=self.precision) * scale + bias * self.lr_multiplier


class MappingNetwork(nn.Module):
  """z -> w: pixel norm, then `mapping_layers` leaky-ReLU layers."""

  config: GeneratorConfig
  precision: Any = None

  @nn.compact
  def __call__(self, z):  # [N, z_dim] -> [N, w_dim]
    cfg = self.config
    self.variable("buffers", "w_avg", jnp.zeros, (cfg.w_dim,))
    x = ops.pixel_norm(z.astype(jnp.float32))
    for i in range(cfg.mapping_layers):
      dense = EqualizedDense(
        cfg.w_dim, lr_multiplier=cfg.mapping_lr_multiplier, precision=self.precision, name=f"fc{i}"
      )
      x = ops.leaky_relu(dense(x))
    return x

  def w_avg(self):
    return self.get_variable("buffers", "w_avg")


class SynthesisLayer(nn.Module):
  """The const input or a 3x3 conv (plain, "up" or "up_fused"), then the epilogue."""

  channels: int
  resolution: int
  kind: str  # "const", "conv", "up" (nearest + conv) or "up_fused" (transposed conv)
  dtype: Any = jnp.float32
  precision: Any = None

  @nn.compact
  def __call__(self, x, w, noise_mode: str, noise=None):
    # x [N, H, W, I] (None for the const layer), w [N, w_dim] -> [N, R, R, channels]
    # noise: explicit or random, broadcastable to [N, R, R, 1]; None = buffer or none.
    if self.kind == "const":
      const = self.param("const", nn.initializers.ones, (4, 4, self.channels))
      x = jnp.broadcast_to(const, (w.shape[0], 4, 4, self.channels))
    else:
      x = self._conv(x).astype(jnp.float32)
    noise_strength = self.param("noise_strength", nn.initializers.zeros, (self.channels,))
    bias = self.param("bias", nn.initializers.zeros, (self.channels,))
    noise_const = self.variable(
      "buffers",
      "noise_const",
      lambda: _standard_normal(self.make_rng("params"), (self.resolution, self.resolution)),
    )
    if noise is None and noise_mode == "const":
      noise = noise_const.value[None, :, :, None]
    if noise is not None:
      x = x + noise * noise_strength
    x = ops.instance_norm(ops.leaky_relu(x + bias))
    style = EqualizedDense(2 * self.channels, gain=1.0, precision=self.precision, name="style")(w)
    scale, shift = style[:, None, None, : self.channels], style[:, None, None, self.channels :]
    return x * (scale + 1) + shift

  def _conv(self, x):
    in_channels = x.shape[-1]
    weight = self.param("weight", _standard_normal, (3, 3, in_channels, self.channels))
    scale = HE_GAIN / math.sqrt(in_channels * 9)
    x, weight = x.astype(self.dtype), weight.astype(self.dtype)
    if self.kind == "up_fused":
      kernel = ops.fused_upsample_kernel(weight * scale)
      return ops.blur(ops.conv_transpose_2x(x, kernel, self.precision), self.precision)
    if self.kind == "up":
      x = ops.upsample_nearest_2x(x)
    x = conv2d(x, weight, padding="SAME", precision=self.precision) * scale
    return ops.blur(x, self.precision) if self.kind == "up" else x


class ToRGB(nn.Module):
  """1x1 conv to RGB (gain 1) plus bias."""

  img_channels: int
  precision: Any = None

  @nn.compact
  def __call__(self, x):  # [N, H, W, C] -> [N, H, W, img_channels]
    in_channels = x.shape[-1]
    weight = self.param("weight", _standard_normal, (1, 1, in_channels, self.img_channels))
    bias = self.param("bias", nn.initializers.zeros, (self.img_channels,))
    y = conv2d(x.astype(jnp.float32), weight, padding="VALID", precision=self.precision)
    return y * (1.0 / math.sqrt(in_channels)) + bias


class SynthesisBlock(nn.Module):
  """One resolution: the const layer (4x4) or the upsampling conv, then a 3x3 conv."""

  config: GeneratorConfig
  resolution: int
  dtype: Any = jnp.float32
  precision: Any = None

  @nn.compact
  def __call__(self, x, ws, noise_mode, noises):
    # x [N, R/2, R/2, C'] or None (4x4); ws [N, 2, w_dim]; noises: one per layer
    cfg, res = self.config, self.resolution
    layer = lambda name, kind: SynthesisLayer(  # noqa: E731
      cfg.channels_at(res), res, kind, self.dtype, self.precision, name=name
    )
    if res == 4:
      x = layer("input", "const")(None, ws[:, 0], noise_mode, noises[0])
    else:
      up = "up_fused" if cfg.fused_upsample(res) else "up"
      x = layer("conv0", up)(x, ws[:, 0], noise_mode, noises[0])
    return layer("conv1", "conv")(x, ws[:, 1], noise_mode, noises[1])  # [N, R, R, C]


class SynthesisNetwork(nn.Module):
  """W+ -> image. Layer i (const, conv, up-conv, conv, ...) reads ws[:, i] and noise i."""

  config: GeneratorConfig
  dtype: Any = jnp.float32
  precision: Any = None

  @nn.compact
  def __call__(self, ws, noise_mode="const", noise=None, rng=None):
    cfg = self.config
    ws = broadcast_ws(ws, cfg.num_ws)  # [N, num_ws, w_dim]
    noises = resolve_noise(cfg, ws.shape[0], noise_mode, noise, rng)
    x = None
    for block, res in enumerate(cfg.resolutions):
      layers = slice(2 * block, 2 * block + 2)
      x = SynthesisBlock(cfg, res, self.dtype, self.precision, name=f"b{res}")(
        x, ws[:, layers], noise_mode, noises[layers]
      )
    return ToRGB(cfg.img_channels, self.precision, name="torgb")(x)  # [N, R, R, C], float32


def resolve_noise(cfg: GeneratorConfig, batch: int, mode: str, noise, rng) -> list:
  """Per synthesis layer noise input: an array, or None (use the const buffer / no noise)."""
  if noise is not None:
    if len(noise) != cfg.num_conv_layers:
      raise ValueError(
        f"noise needs {cfg.num_conv_layers} arrays, one per synthesis layer, got {len(noise)}"
      )
    out = []
    for i, n in enumerate(noise):
      r = noise_resolution(i)
      n = jnp.asarray(n, jnp.float32)  # [R, R], [N, R, R], [N, 1, R, R] or [N, R, R, 1]
      out.append(n.reshape(n.shape[0], r, r, 1) if n.ndim != 2 else n[None, :, :, None])
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


class Generator(StyleGenerator):
  """StyleGAN v1 generator. `dtype` is the compute dtype of the convs (normalisation and
  modulation stay float32, as in NVlabs' instance_norm)."""

  dtype: Any = jnp.float32
  precision: Any = None

  def setup(self):
    self.mapping = MappingNetwork(self.config, precision=self.precision)
    self.synthesis = SynthesisNetwork(self.config, dtype=self.dtype, precision=self.precision)


def init_generator(
  config: GeneratorConfig, seed: int = 0, **module_kwargs
) -> tuple[Generator, dict]:
  """A generator with deterministic random weights (noise strengths 0, const ones, as built)."""
  return initialised(Generator, config, seed, **module_kwargs)


def variable_shapes(config: GeneratorConfig) -> dict:
  """The shape tree of a generator's variables, without computing anything."""
  return shapes_of(Generator, config)
