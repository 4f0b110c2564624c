"""e4e (Encoder4Editing, Tov et al. 2021): one forward pass from an aligned face to W+ codes.

As omertov/encoder4editing builds it for inference (`models/encoders/psp_encoders.py`
`Encoder4Editing(50, 'ir_se', opts)` inside `models/psp.py` `pSp`, all progressive stages on):
* input: `transforms.Resize((256, 256))` on a PIL image (antialiased bilinear), `ToTensor`,
  `Normalize(0.5, 0.5)`, i.e. a 256 px image in [-1, 1] (`preprocess`; works on floats, so
  PIL's rounding to 8 bits after resizing is not reproduced);
* body: the IR-SE50 of ArcFace (`isf_jax.encoders.irse`) on 256 px: an input conv 3x3 + BN +
  PReLU, then 24 units in stages of (3, 4, 14, 3) with depths (64, 128, 256, 512), each stage
  starting with stride 2. Taps: c1 = end of stage 2 [N, 64, 64, 128], c2 = end of stage 3
  [N, 32, 32, 256], c3 = end of stage 4 [N, 16, 16, 512];
* feature pyramid: p2 = up(c3 -> 32 px) + lateral 1x1 conv of c2, p1 = up(p2 -> 64 px) +
  lateral 1x1 conv of c1; `up` is bilinear with align_corners=True (the reference's
  `_upsample_add`); the laterals map to c3's width (512);
* one GradualStyleBlock per style: log2(S) convs 3x3 stride 2 (with bias, LeakyReLU slope
  0.01) taking an S x S map to 1 x 1, then an equalised linear layer (lr_mul 1). Styles 0-2
  read c3 (S = 16), styles 3-6 p2 (S = 32), the rest p1 (S = 64);
* codes: w0 = style 0 for every style, plus delta_i = style i for i >= 1; then pSp adds
  `latent_avg` when the checkpoint was trained with `start_from_latent_avg`.
W+ has n_styles = 2 log2(resolution) - 2 entries (18 for the 1024 px FFHQ generator).

`E4EConfig` also describes narrower, shallower bodies on smaller inputs (`stage_units`,
`input_size`: the encoders trained here for small generators, `isf_jax.encoder_training`, and
the test fixtures); the reference code itself is fixed at the shape above. With input size S the
taps are at S/4, S/8 and S/16 px.
Variables: `params`, `batch_stats` and `buffers/latent_avg` [n_styles, style_dim].
"""

from __future__ import annotations

import dataclasses
import json
import math

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from isf_jax.encoders.irse import BottleneckIRSE, PReLU, SqueezeExcitation, batch_norm
from isf_jax.metrics.resize import resize_bilinear_align_corners, resize_bilinear_pil

INPUT_SIZE = (256, 256)
STAGE_UNITS = (3, 4, 14, 3)  # IR-SE50; the reference's tap indices 6, 20, 23 are stage ends
COARSE_STYLES, MIDDLE_END = 3, 7  # styles [0, 3) read c3, [3, 7) p2, [7, n) p1
LEAKY_SLOPE = 0.01  # torch nn.LeakyReLU() default


@dataclasses.dataclass(frozen=True)
class E4EConfig:
  """Shape of an e4e encoder (the defaults are the released FFHQ model's).

  Attributes:
    resolution: the generator's output size; gives n_styles = 2 log2(resolution) - 2.
    stem_channels: width of the input conv (the first stage's input).
    stage_depths: widths of the four IR-SE stages; the last is also the pyramid's width.
    style_dim: W size (the generator's w_dim).
    start_from_latent_avg: add `latent_avg` to the codes (pSp's option of that name).
    stage_units: IR-SE units per stage ((3, 4, 14, 3): IR-SE50).
    input_size: side of the square the photo is resized to (256 in the reference).
  """

  resolution: int = 1024
  stem_channels: int = 64
  stage_depths: tuple[int, ...] = (64, 128, 256, 512)
  style_dim: int = 512
  start_from_latent_avg: bool = True
  stage_units: tuple[int, ...] = STAGE_UNITS
  input_size: int = INPUT_SIZE[0]

  def __post_init__(self):
    if not _is_power_of_two(self.resolution, 8):
      raise ValueError(f"resolution must be a power of two >= 8, got {self.resolution}")
    if not _is_power_of_two(self.input_size, 16):  # four stride-2 stages leave >= 1 px
      raise ValueError(f"encoder input_size must be a power of two >= 16, got {self.input_size}")
    for name in ("stage_depths", "stage_units"):
      value = tuple(int(d) for d in getattr(self, name))
      object.__setattr__(self, name, value)
      if len(value) != len(STAGE_UNITS) or min(value) < 1:
        raise ValueError(f"{name} needs {len(STAGE_UNITS)} positive entries, got {value}")
    if min(self.stage_depths) < SqueezeExcitation.reduction:
      raise ValueError(
        f"stage_depths must be at least {SqueezeExcitation.reduction} (the squeeze-excitation "
        f"divides them by {SqueezeExcitation.reduction}), got {self.stage_depths}"
      )

  @property
  def n_styles(self) -> int:
    return 2 * int(math.log2(self.resolution)) - 2

  @property
  def input_shape(self) -> tuple[int, int]:
    return (self.input_size, self.input_size)

  def to_json(self) -> str:
    return json.dumps({"network": "e4e", **dataclasses.asdict(self)}, indent=2)

  @classmethod
  def from_json(cls, text: str) -> E4EConfig:
    fields = json.loads(text)
    if fields.pop("network", None) != "e4e":
      raise ValueError("not an e4e encoder config (network != 'e4e')")
    return cls(**fields)


def _is_power_of_two(value: int, minimum: int) -> bool:
  return value >= minimum and math.log2(value) == int(math.log2(value))


class EqualLinear(nn.Module):
  """rosinality's EqualLinear without activation: x @ (W / sqrt(in)).T + b (lr_mul 1)."""

  features: int

  @nn.compact
  def __call__(self, x):  # [N, in] -> [N, features]
    weight = self.param("weight", nn.initializers.normal(1.0), (x.shape[-1], self.features))
    bias = self.param("bias", nn.initializers.zeros, (self.features,))
    return x @ (weight / np.sqrt(x.shape[-1])) + bias


class GradualStyleBlock(nn.Module):
  """[N, S, S, C] -> [N, style_dim]: log2(S) stride-2 convs down to 1 x 1, then EqualLinear."""

  style_dim: int

  @nn.compact
  def __call__(self, x):
    for i in range(int(math.log2(x.shape[1]))):
      x = nn.Conv(self.style_dim, (3, 3), 2, ((1, 1), (1, 1)), name=f"conv{i}")(x)
      x = nn.leaky_relu(x, LEAKY_SLOPE)  # [N, S / 2^(i+1), S / 2^(i+1), style_dim]
    return EqualLinear(self.style_dim, name="linear")(x.reshape(x.shape[0], -1))


def _upsample_add(top, lateral):
  """top [N, h, w, C] upsampled to lateral's [N, H, W, C] (align_corners=True), plus lateral."""
  return resize_bilinear_align_corners(top, lateral.shape[1:3]) + lateral


class Encoder4Editing(nn.Module):
  """[N, S, S, 3] in [-1, 1] (S = config.input_size) -> W+ codes [N, n_styles, style_dim]."""

  config: E4EConfig

  @nn.compact
  def __call__(self, x):
    cfg = self.config
    stem = nn.Conv(
      cfg.stem_channels, (3, 3), 1, ((1, 1), (1, 1)), use_bias=False, name="input_conv"
    )
    x = PReLU(name="input_prelu")(batch_norm("input_bn")(stem(x)))  # [N, S, S, stem]
    taps, unit = [], 0
    for depth, units in zip(cfg.stage_depths, cfg.stage_units, strict=True):
      for i in range(units):
        x = BottleneckIRSE(depth, 2 if i == 0 else 1, name=f"body_{unit}")(x)
        unit += 1
      taps.append(x)  # stage k ends at S / 2^(k+1) px
    c1, c2, c3 = taps[1:]  # [N, S/4, S/4, d1], [N, S/8, S/8, d2], [N, S/16, S/16, d3]
    width = cfg.stage_depths[-1]

    w0 = GradualStyleBlock(cfg.style_dim, name="style_0")(c3)  # [N, style_dim]
    features = c3
    codes = [w0]
    for i in range(1, cfg.n_styles):
      if i == COARSE_STYLES:
        p2 = _upsample_add(c3, nn.Conv(width, (1, 1), name="lateral_1")(c2))  # [N, 32, 32]
        features = p2
      elif i == MIDDLE_END:
        features = _upsample_add(p2, nn.Conv(width, (1, 1), name="lateral_2")(c1))  # [N, 64, 64]
      codes.append(w0 + GradualStyleBlock(cfg.style_dim, name=f"style_{i}")(features))
    codes = jnp.stack(codes, axis=1)  # [N, n_styles, style_dim]

    latent_avg = self.variable(
      "buffers", "latent_avg", jnp.zeros, (cfg.n_styles, cfg.style_dim), jnp.float32
    )
    return codes + latent_avg.value if cfg.start_from_latent_avg else codes


def preprocess(images, size: tuple[int, int] = INPUT_SIZE):
  """[N, H, W, 3] in [-1, 1] -> the encoder input [N, *size, 3] (e4e's test transform)."""
  return resize_bilinear_pil(jnp.asarray(images, jnp.float32), size)


def variable_shapes(config: E4EConfig) -> dict:
  x = jax.ShapeDtypeStruct((1, *config.input_shape, 3), jnp.float32)
  return jax.eval_shape(Encoder4Editing(config).init, jax.random.key(0), x)


def random_variables(config: E4EConfig, seed: int = 0) -> dict:
  """Freshly initialised variables (the starting point of training; tests and timing)."""
  x = jnp.zeros((1, *config.input_shape, 3), jnp.float32)
  return Encoder4Editing(config).init(jax.random.key(seed), x)


def encode_fn(config: E4EConfig, variables: dict):
  """Jitted `images [N, H, W, 3] in [-1, 1] -> W+ [N, n_styles, style_dim]`."""
  network = Encoder4Editing(config)

  # The variables are an argument, not closed-over constants: the real model has ~267M.
  @jax.jit
  def encode(variables, images):
    # Full float32 convolutions on accelerators too (no TF32 / bf16 passes): parity.
    with jax.default_matmul_precision("highest"):
      return network.apply(variables, preprocess(images, config.input_shape))

  def checked(images):
    if images.ndim != 4 or images.shape[-1] != 3:
      raise ValueError(f"expected images [N, H, W, 3], got shape {tuple(images.shape)}")
    return encode(variables, images)

  return checked


def save_encoder(path, config: E4EConfig, variables: dict, overwrite: bool = False) -> None:
  """The project's directory format (`isf_jax.checkpoints`), config.json = `E4EConfig`."""
  from isf_jax import checkpoints

  checkpoints.save_directory(path, variables, config.to_json(), overwrite=overwrite)


def load_encoder(path) -> tuple[E4EConfig, dict]:
  """(config, variables) from a directory written by `save_encoder` (`isf-jax-convert e4e`,
  `python -m isf_jax.train_encoder`)."""
  from isf_jax import checkpoints

  if not checkpoints.is_checkpoint(path):
    raise FileNotFoundError(
      f"{path} is not an e4e encoder (convert one: isf-jax-convert e4e e4e_ffhq_encode.pt OUT, "
      "the encoder is OUT/encoder; or train one: python -m isf_jax.train_encoder --workdir DIR, "
      "the encoder is DIR/encoder)"
    )
  config_json, variables = checkpoints.load_directory(path)
  return E4EConfig.from_json(config_json), variables
