"""InceptionV3 pool3 features (2048-d) for FID, in two variants.

* "pytorch_fid": pytorch-fid 0.3.0's FID Inception (the TF `inception-2015-12-05` graph,
  weights `pt_inception-2015-12-05-6726825d.pth`). Mixed_5b-5d, 6b-6e and 7b pool with
  average pooling that ignores the padding (TF semantics); Mixed_7c pools with a 3x3 *max*
  pool, a quirk of the TF graph. Input: the [-1, 1] image resized to 299x299 with
  `F.interpolate(bilinear, align_corners=False)` (no antialias), as pytorch-fid's
  `InceptionV3(resize_input=True, normalize_input=True)` does for [0, 1] input u with 2u - 1
  (bilinear resizing commutes with that affine map).
* "torchvision": torchvision's ImageNet `inception_v3` (`inception_v3_google-0cc3c7bd.pth`)
  called block by block as the official ISF-GAN `metrics/fid.py` does (StarGAN v2's FID), so
  torchvision's `transform_input` is bypassed and every pool branch is an average pool that
  counts the padding. Input as in the official loader: the [0, 1] image is resized to 256
  and then to 299 (`transforms.Resize` on PIL images: antialiased bilinear; PIL's rounding
  to 8 bits in between is not reproduced), then normalised with the ImageNet mean and std.
  Its FID is not comparable with pytorch-fid's.

Both: BasicConv2d = conv (no bias), BatchNorm (eps 1e-3, running statistics), ReLU; the
features are the spatial mean after Mixed_7c. Module names follow torchvision's, so the
converter maps `Mixed_6b.branch7x7_2.conv.weight` to `Mixed_6b/branch7x7_2/conv/kernel`.
"""

from __future__ import annotations

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from isf_jax.cache import cache_path
from isf_jax.metrics import weights
from isf_jax.metrics.resize import resize_bilinear_pil, resize_bilinear_torch

VARIANTS = ("pytorch_fid", "torchvision")
FEATURE_DIM = 2048
INPUT_SIZE = (299, 299)
OFFICIAL_ISF_RESIZE = (256, 256)
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)


def make_command(variant: str) -> str:
  source = {"pytorch_fid": "pt_inception-2015-12-05-6726825d.pth"}.get(
    variant, "inception_v3_google-0cc3c7bd.pth"
  )
  return f"isf-jax-convert inception {source} --variant {variant}"


def _check_variant(variant: str) -> None:
  if variant not in VARIANTS:
    raise ValueError(f"unknown Inception variant {variant!r}; choose one of {VARIANTS}")


class BasicConv(nn.Module):
  features: int
  kernel: tuple[int, int] = (1, 1)
  stride: int = 1
  padding: tuple[int, int] = (0, 0)

  @nn.compact
  def __call__(self, x):  # [N, H, W, C] -> [N, H', W', features]
    pad = ((self.padding[0], self.padding[0]), (self.padding[1], self.padding[1]))
    x = nn.Conv(self.features, self.kernel, self.stride, pad, use_bias=False, name="conv")(x)
    x = nn.BatchNorm(use_running_average=True, epsilon=1e-3, name="bn")(x)
    return nn.relu(x)


def _pool_3x3(x, pool: str):
  """3x3 stride-1 pool, padding 1: "avg" counts the padding (torch default), "avg_tf" does not
  (TF / pytorch-fid), "max" is pytorch-fid's Mixed_7c branch."""
  pad = ((1, 1), (1, 1))
  if pool == "max":
    return nn.max_pool(x, (3, 3), (1, 1), pad)
  return nn.avg_pool(x, (3, 3), (1, 1), pad, count_include_pad=pool == "avg")


def _max_pool_3x3_stride_2(x):
  return nn.max_pool(x, (3, 3), (2, 2))


class InceptionA(nn.Module):
  pool_features: int
  pool: str

  @nn.compact
  def __call__(self, x):  # [N, 35, 35, C] -> [N, 35, 35, 224 + pool_features]
    b1 = BasicConv(64, name="branch1x1")(x)
    b5 = BasicConv(48, name="branch5x5_1")(x)
    b5 = BasicConv(64, (5, 5), padding=(2, 2), name="branch5x5_2")(b5)
    b3 = BasicConv(64, name="branch3x3dbl_1")(x)
    b3 = BasicConv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(b3)
    b3 = BasicConv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_3")(b3)
    bp = BasicConv(self.pool_features, name="branch_pool")(_pool_3x3(x, self.pool))
    return jnp.concatenate([b1, b5, b3, bp], axis=-1)


class InceptionB(nn.Module):
  @nn.compact
  def __call__(self, x):  # [N, 35, 35, 288] -> [N, 17, 17, 768]
    b3 = BasicConv(384, (3, 3), stride=2, name="branch3x3")(x)
    bd = BasicConv(64, name="branch3x3dbl_1")(x)
    bd = BasicConv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(bd)
    bd = BasicConv(96, (3, 3), stride=2, name="branch3x3dbl_3")(bd)
    return jnp.concatenate([b3, bd, _max_pool_3x3_stride_2(x)], axis=-1)


class InceptionC(nn.Module):
  channels_7x7: int
  pool: str

  @nn.compact
  def __call__(self, x):  # [N, 17, 17, 768] -> [N, 17, 17, 768]
    c7 = self.channels_7x7
    b1 = BasicConv(192, name="branch1x1")(x)
    b7 = BasicConv(c7, name="branch7x7_1")(x)
    b7 = BasicConv(c7, (1, 7), padding=(0, 3), name="branch7x7_2")(b7)
    b7 = BasicConv(192, (7, 1), padding=(3, 0), name="branch7x7_3")(b7)
    bd = BasicConv(c7, name="branch7x7dbl_1")(x)
    bd = BasicConv(c7, (7, 1), padding=(3, 0), name="branch7x7dbl_2")(bd)
    bd = BasicConv(c7, (1, 7), padding=(0, 3), name="branch7x7dbl_3")(bd)
    bd = BasicConv(c7, (7, 1), padding=(3, 0), name="branch7x7dbl_4")(bd)
    bd = BasicConv(192, (1, 7), padding=(0, 3), name="branch7x7dbl_5")(bd)
    bp = BasicConv(192, name="branch_pool")(_pool_3x3(x, self.pool))
    return jnp.concatenate([b1, b7, bd, bp], axis=-1)


class InceptionD(nn.Module):
  @nn.compact
  def __call__(self, x):  # [N, 17, 17, 768] -> [N, 8, 8, 1280]
    b3 = BasicConv(192, name="branch3x3_1")(x)
    b3 = BasicConv(320, (3, 3), stride=2, name="branch3x3_2")(b3)
    b7 = BasicConv(192, name="branch7x7x3_1")(x)
    b7 = BasicConv(192, (1, 7), padding=(0, 3), name="branch7x7x3_2")(b7)
    b7 = BasicConv(192, (7, 1), padding=(3, 0), name="branch7x7x3_3")(b7)
    b7 = BasicConv(192, (3, 3), stride=2, name="branch7x7x3_4")(b7)
    return jnp.concatenate([b3, b7, _max_pool_3x3_stride_2(x)], axis=-1)


class InceptionE(nn.Module):
  pool: str

  @nn.compact
  def __call__(self, x):  # [N, 8, 8, C] -> [N, 8, 8, 2048]
    b1 = BasicConv(320, name="branch1x1")(x)
    b3 = BasicConv(384, name="branch3x3_1")(x)
    b3 = jnp.concatenate(
      [
        BasicConv(384, (1, 3), padding=(0, 1), name="branch3x3_2a")(b3),
        BasicConv(384, (3, 1), padding=(1, 0), name="branch3x3_2b")(b3),
      ],
      axis=-1,
    )
    bd = BasicConv(448, name="branch3x3dbl_1")(x)
    bd = BasicConv(384, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(bd)
    bd = jnp.concatenate(
      [
        BasicConv(384, (1, 3), padding=(0, 1), name="branch3x3dbl_3a")(bd),
        BasicConv(384, (3, 1), padding=(1, 0), name="branch3x3dbl_3b")(bd),
      ],
      axis=-1,
    )
    bp = BasicConv(192, name="branch_pool")(_pool_3x3(x, self.pool))
    return jnp.concatenate([b1, b3, bd, bp], axis=-1)


class InceptionV3(nn.Module):
  """Preprocessed [N, 299, 299, 3] -> pool3 features [N, 2048]."""

  variant: str = "pytorch_fid"

  @nn.compact
  def __call__(self, x):
    _check_variant(self.variant)
    fid = self.variant == "pytorch_fid"
    pool = "avg_tf" if fid else "avg"
    x = BasicConv(32, (3, 3), stride=2, name="Conv2d_1a_3x3")(x)  # [N, 149, 149, 32]
    x = BasicConv(32, (3, 3), name="Conv2d_2a_3x3")(x)  # [N, 147, 147, 32]
    x = BasicConv(64, (3, 3), padding=(1, 1), name="Conv2d_2b_3x3")(x)
    x = _max_pool_3x3_stride_2(x)  # [N, 73, 73, 64]
    x = BasicConv(80, name="Conv2d_3b_1x1")(x)
    x = BasicConv(192, (3, 3), name="Conv2d_4a_3x3")(x)  # [N, 71, 71, 192]
    x = _max_pool_3x3_stride_2(x)  # [N, 35, 35, 192]
    x = InceptionA(32, pool, name="Mixed_5b")(x)  # [N, 35, 35, 256]
    x = InceptionA(64, pool, name="Mixed_5c")(x)  # [N, 35, 35, 288]
    x = InceptionA(64, pool, name="Mixed_5d")(x)
    x = InceptionB(name="Mixed_6a")(x)  # [N, 17, 17, 768]
    x = InceptionC(128, pool, name="Mixed_6b")(x)
    x = InceptionC(160, pool, name="Mixed_6c")(x)
    x = InceptionC(160, pool, name="Mixed_6d")(x)
    x = InceptionC(192, pool, name="Mixed_6e")(x)
    x = InceptionD(name="Mixed_7a")(x)  # [N, 8, 8, 1280]
    x = InceptionE(pool, name="Mixed_7b")(x)  # [N, 8, 8, 2048]
    x = InceptionE("max" if fid else pool, name="Mixed_7c")(x)
    return jnp.mean(x, axis=(1, 2))  # [N, 2048]


def preprocess(images, variant: str):
  """[N, H, W, 3] in [-1, 1] -> the [N, 299, 299, 3] network input of `variant`."""
  _check_variant(variant)
  images = jnp.asarray(images, jnp.float32)
  if variant == "pytorch_fid":
    return resize_bilinear_torch(images, INPUT_SIZE)
  unit = (images + 1.0) / 2.0
  unit = resize_bilinear_pil(resize_bilinear_pil(unit, OFFICIAL_ISF_RESIZE), INPUT_SIZE)
  return (unit - IMAGENET_MEAN) / IMAGENET_STD


# Module-level jitted parts: the network compiles once per variant and batch size, whatever the
# image size and whichever weights.
_prepare = jax.jit(preprocess, static_argnums=1)


@functools.partial(jax.jit, static_argnums=2)
def network_features(variables, x, variant: str):
  """Preprocessed input [N, 299, 299, 3] -> [N, 2048] (see `preprocess`)."""
  # Full float32 convolutions on accelerators too (no TF32 / bf16 passes): metric parity.
  with jax.default_matmul_precision("highest"):
    return InceptionV3(variant).apply(variables, x)


def features_fn_from_variables(variant: str, variables: dict):
  """Jitted `images [N, H, W, 3] in [-1, 1] -> float32 [N, 2048]` for these variables."""
  _check_variant(variant)

  def features_fn(images):
    if images.ndim != 4 or images.shape[-1] != 3:
      raise ValueError(f"expected images [N, H, W, 3], got shape {tuple(images.shape)}")
    return network_features(variables, _prepare(images, variant), variant)

  return features_fn


def load_inception(variant: str = "pytorch_fid", path=None):
  """features_fn from converted weights (default: `{cache}/inception/{variant}`)."""
  _check_variant(variant)
  path = path if path is not None else cache_path("inception", variant)
  meta, variables = weights.load_network(path, "inception", make_command(variant))
  if meta.get("variant") != variant:
    raise ValueError(f"{path} holds the {meta.get('variant')!r} Inception, not {variant!r}")
  return features_fn_from_variables(variant, variables)


@functools.cache
def _random_variables(variant: str, seed: int) -> dict:
  return weights.random_variables(InceptionV3(variant), (1, *INPUT_SIZE, 3), seed)


def random_inception(variant: str = "pytorch_fid", seed: int = 0):
  """features_fn with freshly initialised weights (for tests and timing, not for scores)."""
  _check_variant(variant)
  return features_fn_from_variables(variant, _random_variables(variant, seed))
