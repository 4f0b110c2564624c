"""ArcFace IR-SE50 face embeddings for FRS (face recognition similarity), as ISF-GAN uses it.

The official `metrics/id_loss.py` runs pSp's `Backbone(112, 50, mode="ir_se")` (TreB1eN's
InsightFace port; weights `model_ir_se50.pth`) on images that `eval/cal_frs.py` resized to
256x256 (`transforms.Resize` on PIL images: antialiased bilinear) in [-1, 1]: crop rows 35:223
and columns 32:220 (the face region of a 256 px aligned face), `AdaptiveAvgPool2d(112)`, then
the backbone, whose output is L2-normalised. FRS = the dot product of two embeddings (their
cosine).

IR-SE50: input conv 3x3 (64) + BN + PReLU; 24 bottleneck units (`isf_jax.encoders.irse`) in
stages of (3, 4, 14, 3) with depths (64, 128, 256, 512), the first unit of each stage with
stride 2.
Head: BN -> (dropout, inactive) -> flatten in torch's channel-major order -> dense 512 -> BN1d.
BatchNorm eps 1e-5, running statistics. Variables: `params` and `batch_stats`.
"""

from __future__ import annotations

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp

from isf_jax.cache import cache_path
from isf_jax.encoders.irse import BottleneckIRSE, PReLU, batch_norm
from isf_jax.metrics import weights
from isf_jax.metrics.resize import adaptive_avg_pool, resize_bilinear_pil

EMBEDDING_DIM = 512
RESIZE = (256, 256)
CROP_ROWS, CROP_COLS = (35, 223), (32, 220)
INPUT_SIZE = (112, 112)
STAGES = ((64, 3), (128, 4), (256, 14), (512, 3))  # (depth, units)
MAKE_COMMAND = "isf-jax-convert arcface model_ir_se50.pth"


class IRSE50(nn.Module):
  """[N, 112, 112, 3] in [-1, 1] -> L2-normalised embeddings [N, 512]."""

  @nn.compact
  def __call__(self, x):
    x = nn.Conv(64, (3, 3), 1, ((1, 1), (1, 1)), use_bias=False, name="input_conv")(x)
    x = PReLU(name="input_prelu")(batch_norm("input_bn")(x))  # [N, 112, 112, 64]
    unit = 0
    for depth, units in STAGES:
      for i in range(units):
        x = BottleneckIRSE(depth, 2 if i == 0 else 1, name=f"body_{unit}")(x)
        unit += 1
    x = batch_norm("output_bn")(x)  # [N, 7, 7, 512]
    x = jnp.transpose(x, (0, 3, 1, 2)).reshape(x.shape[0], -1)  # [N, 512 * 7 * 7], torch order
    x = nn.Dense(EMBEDDING_DIM, name="output_dense")(x)
    x = batch_norm("output_bn1d")(x)  # [N, 512]
    return x / jnp.linalg.norm(x, axis=-1, keepdims=True)


def preprocess(images):
  """[N, H, W, 3] in [-1, 1] -> the official FRS network input [N, 112, 112, 3]."""
  images = resize_bilinear_pil(jnp.asarray(images, jnp.float32), RESIZE)
  face = images[:, CROP_ROWS[0] : CROP_ROWS[1], CROP_COLS[0] : CROP_COLS[1]]  # [N, 188, 188, 3]
  return adaptive_avg_pool(face, INPUT_SIZE)


def cosine_similarity(a, b):
  """FRS of L2-normalised embeddings [..., 512] (the official score: their dot product)."""
  return jnp.sum(a * b, axis=-1)


# Module-level jitted parts: the network compiles once per batch size, whatever the image size
# and whichever weights.
_prepare = jax.jit(preprocess)


@jax.jit
def _network(variables, x):
  # Full float32 convolutions on accelerators too (no TF32 / bf16 passes): metric parity.
  with jax.default_matmul_precision("highest"):
    return IRSE50().apply(variables, x)


def embed_fn_from_variables(variables: dict):
  """Jitted `images [N, H, W, 3] in [-1, 1] -> [N, 512]` (unit-norm) for these variables."""

  def embed_fn(images):
    if images.ndim != 4 or images.shape[-1] != 3:
      raise ValueError(f"expected images [N, H, W, 3], got shape {tuple(images.shape)}")
    return _network(variables, _prepare(images))

  return embed_fn


def load_arcface(path=None):
  """embed_fn from converted weights (default: `{cache}/arcface`)."""
  path = path if path is not None else cache_path("arcface")
  _, variables = weights.load_network(path, "arcface", MAKE_COMMAND)
  return embed_fn_from_variables(variables)


@functools.cache
def _random_variables(seed: int) -> dict:
  return weights.random_variables(IRSE50(), (1, *INPUT_SIZE, 3), seed)


def random_arcface(seed: int = 0):
  """embed_fn with freshly initialised weights (for tests and timing, not for scores)."""
  return embed_fn_from_variables(_random_variables(seed))
