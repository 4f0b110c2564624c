"""NVIDIA's CelebA-HQ attribute classifiers (`celebahq-classifier-XX-name.pkl`) for mAcc.

Architecture (the ProGAN discriminator `D_paper` of NVlabs' `networks_progan.py`, which the
StyleGAN paper names as the classifiers' architecture, without minibatch-stddev; NVlabs/DiffPure
`classifiers/attribute_net.py` re-implements it): for resolution R = 2^L,
  FromRGB_lod0: 1x1 conv -> LeakyReLU(0.2)
  block RxR ... 8x8: Conv0 3x3 -> lrelu; Conv1_down 3x3 -> bias -> 2x2 average -> lrelu
    (TF's fused conv2d_downscale2d: a stride-2 4x4 conv, equal to a 3x3 conv then averaging)
  4x4: Conv 3x3 -> lrelu; Dense0 (on the channel-major flattening) -> lrelu; Dense1 -> 1 logit.
Channels nf(stage) = min(fmap_base / 2^(stage * fmap_decay), fmap_max). The equalised-learning-
rate scale gain / sqrt(fan_in) (gain sqrt(2), Dense1: 1) is folded into the converted kernels.

Two input conventions (`convention=`):
* "isf" (official ISF-GAN `eval/cal_accuracy.py`): the 8-bit image resized to R x R with PIL
  `Image.resize` (its default BICUBIC filter since Pillow 7; reproduced here without the 8-bit
  rounding), scaled to [0, 1] and normalised with the ImageNet mean and std, although the
  classifiers were trained on [-1, 1] images. Label: p = sigmoid(logit);
  predicted label = 1 - [p > 0.5] for every attribute except Age ("young"), where it is [p > 0.5].
* "stylegan" (StyleGAN's linear separability): [-1, 1] images, box-downsampled by an integer
  factor to R; probabilities softmax([logit, -logit]), i.e. sigmoid(2 logit) for the first class.

Variables: `params` only. No real classifier pickle was available to check this against; the
converter (`convert/attribute_classifier.py`) refuses every configuration or variable outside
this architecture, so a differing real file fails loudly instead of converting on a guess.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jax
import jax.numpy as jnp

from isf_jax.metrics import weights
from isf_jax.metrics.celebahq_classifier import AttributeClassifier
from isf_jax.metrics.resize import box_downsample, resize_bicubic_pil

CONVENTIONS = ("isf", "stylegan")
IMAGENET_MEAN = jnp.array([0.485, 0.456, 0.406], jnp.float32)
IMAGENET_STD = jnp.array([0.229, 0.224, 0.225], jnp.float32)
MAKE_COMMAND = "isf-jax-convert attribute_classifier celebahq-classifier-XX-name.pkl OUT"
# StyleGAN's numbering of the 40 classifiers (metrics/linear_separability.py), not CelebA's.
CELEBAHQ_ATTRIBUTES = (
  "male", "smiling", "attractive", "wavy-hair", "young", "5-o-clock-shadow", "arched-eyebrows",
  "bags-under-eyes", "bald", "bangs", "big-lips", "big-nose", "black-hair", "blond-hair", "blurry",
  "brown-hair", "bushy-eyebrows", "chubby", "double-chin", "eyeglasses", "goatee", "gray-hair",
  "heavy-makeup", "high-cheekbones", "mouth-slightly-open", "mustache", "narrow-eyes", "no-beard",
  "oval-face", "pale-skin", "pointy-nose", "receding-hairline", "rosy-cheeks", "sideburns",
  "straight-hair", "wearing-earrings", "wearing-hat", "wearing-lipstick", "wearing-necklace",
  "wearing-necktie",
)  # fmt: skip
AGE_ATTRIBUTE = "young"


def preprocess(images, resolution: int, convention: str):
  """[N, H, W, 3] in [-1, 1] -> the classifier input [N, R, R, 3] in `convention`."""
  images = jnp.asarray(images, jnp.float32)
  if convention == "isf":
    unit = resize_bicubic_pil((images + 1.0) / 2.0, (resolution, resolution))
    return (unit - IMAGENET_MEAN) / IMAGENET_STD
  height, width = images.shape[1:3]
  if height != width or height % resolution:
    raise ValueError(
      f"the StyleGAN convention box-downsamples square images by an integer factor to "
      f"{resolution}; got {height}x{width}"
    )
  return box_downsample(images, height // resolution)


def isf_predicted_labels(logits, attribute: str):
  """Official ISF-GAN labels: 1 - [sigmoid(l) > 0.5], except [sigmoid(l) > 0.5] for Age."""
  positive = (jnp.asarray(logits) > 0).astype(jnp.int32)  # sigmoid(l) > 0.5  <=>  l > 0
  return positive if attribute == AGE_ATTRIBUTE else 1 - positive


def stylegan_probabilities(logits):
  """StyleGAN's softmax([l, -l]) -> [N, 2]."""
  logits = jnp.asarray(logits)
  return jax.nn.softmax(jnp.stack([logits, -logits], axis=-1), axis=-1)


def logit_fn_from_variables(config: dict, variables: dict, convention: str = "isf"):
  """Jitted `images [N, H, W, 3] in [-1, 1] -> logits [N]`."""
  if convention not in CONVENTIONS:
    raise ValueError(f"unknown convention {convention!r}; choose one of {CONVENTIONS}")
  model = AttributeClassifier(**config)

  @functools.partial(jax.jit, static_argnums=2)
  def apply(variables, images, convention):
    # Full float32 convolutions on accelerators too (no TF32 / bf16 passes): metric parity.
    with jax.default_matmul_precision("highest"):
      return model.apply(variables, preprocess(images, model.resolution, convention))

  def logit_fn(images):
    if images.ndim != 4 or images.shape[-1] != 3:
      raise ValueError(f"expected images [N, H, W, 3], got shape {tuple(images.shape)}")
    return apply(variables, images, convention)

  return logit_fn


def load_attribute_classifier(path, convention: str = "isf"):
  """logit_fn from a converted classifier directory, or straight from a TF `.pkl` (read with the
  restricted unpickler, nothing executed)."""
  path = Path(path)
  if path.is_file():
    from isf_jax.formats.attribute_classifier import read_classifier

    config, variables, _ = read_classifier(path)
  else:
    meta, variables = weights.load_network(path, "attribute_classifier", MAKE_COMMAND)
    config = meta["architecture"]
  return logit_fn_from_variables(config, variables, convention)
