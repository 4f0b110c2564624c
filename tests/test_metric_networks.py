"""Metric networks (InceptionV3, IR-SE50 ArcFace, CelebA-HQ attribute classifiers) and FID,
against golden outputs of the reference implementations (see each fixture folder's README).

Inception and IR-SE50 are too big to store: the tests rebuild the fixtures' random state
dicts with `tests/metric_recipe.py` and push them through the converters.
"""

import functools
import json
import pickle
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

from convert import arcface as convert_arcface
from convert import attribute_classifier as convert_attribute_classifier
from convert import inception as convert_inception
from isf_jax.formats import arcface as arcface_format
from isf_jax.formats import attribute_classifier as classifier_format
from isf_jax.formats import inception as inception_format
from isf_jax.formats import safe_pickle
from isf_jax.formats.tables import ConversionError
from isf_jax.metrics import arcface, fid
from isf_jax.metrics.attribute_classifier import (
  CELEBAHQ_ATTRIBUTES,
  isf_predicted_labels,
  load_attribute_classifier,
  stylegan_probabilities,
)
from isf_jax.metrics.inception import (
  IMAGENET_MEAN,
  IMAGENET_STD,
  load_inception,
  network_features,
  preprocess,
  random_inception,
)
from isf_jax.metrics.resize import (
  adaptive_avg_pool,
  box_downsample,
  resize_bicubic_pil,
  resize_bilinear_pil,
  resize_bilinear_torch,
)
from tests.helpers.metric_recipe import recipe_state_dict

FIXTURES = Path(__file__).parent / "fixtures"
INCEPTION_SEED = {"pytorch_fid": 0, "torchvision": 1}
ARCFACE_SEED = 2
# The last BatchNorm of each residual branch is scaled down so activations stay O(10) over the
# 24 units (unscaled they double per unit and float32 rounding then decides the result).
ARCFACE_SCALES = {r"body\.\d+\.res_layer\.4\.weight": 0.1}


def relative_error(actual, expected) -> float:
  return float(np.abs(np.asarray(actual) - expected).max() / np.abs(expected).max())


def write_state_dict(path, state_dict) -> None:
  """A plain pickle of numpy arrays: readable by the converters' restricted unpickler."""
  with open(path, "wb") as f:
    pickle.dump(state_dict, f)


# --- InceptionV3 -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def inception_expected():
  return dict(np.load(FIXTURES / "inception" / "expected.npz"))


@pytest.fixture(scope="module")
def inception_state_dicts():
  keys = json.loads((FIXTURES / "inception" / "state_dict_keys.json").read_text())
  return {v: recipe_state_dict(keys[v], seed) for v, seed in INCEPTION_SEED.items()}


@pytest.mark.parity
def test_inception_pytorch_fid_matches_reference(
  tmp_path, inception_state_dicts, inception_expected
):
  """File -> CLI converter -> default-format checkpoint -> load_inception -> pytorch-fid."""
  src, out = tmp_path / "pt_inception.pkl", tmp_path / "inception"
  write_state_dict(src, inception_state_dicts["pytorch_fid"])
  assert convert_inception.main([str(src), str(out)]) == 0  # variant detected: 1008 classes
  features = load_inception("pytorch_fid", path=out)(jnp.asarray(inception_expected["images"]))
  assert features.shape == (2, 2048) and features.dtype == jnp.float32
  assert relative_error(features, inception_expected["pytorch_fid"]) < 1e-5


@pytest.mark.parity
def test_inception_torchvision_matches_official_isf_fid(inception_state_dicts, inception_expected):
  variables = inception_format.convert_state_dict(
    inception_state_dicts["torchvision"], "torchvision"
  )
  images = jnp.asarray(inception_expected["images"])
  # The network alone, on the same 299 px input as the reference.
  net_input = (resize_bilinear_torch((images + 1) / 2, (299, 299)) - IMAGENET_MEAN) / IMAGENET_STD
  net_features = network_features(variables, net_input, "torchvision")
  assert relative_error(net_features, inception_expected["torchvision_net"]) < 1e-5
  # With the official preprocessing (the reference's PIL resizes round to 8 bits; ours do not).
  images_uint8 = jnp.asarray(inception_expected["images_uint8"] / 127.5 - 1, jnp.float32)
  features = network_features(variables, preprocess(images_uint8, "torchvision"), "torchvision")
  assert relative_error(features, inception_expected["torchvision_pil"]) < 5e-3


def test_inception_converter_refuses_mismatched_weights(inception_state_dicts):
  state = dict(inception_state_dicts["pytorch_fid"])
  del state["Mixed_6b.branch7x7_2.conv.weight"]
  state["Mixed_7c.branch_pool.bn.weight"] = np.ones(3, np.float32)
  state["Mixed_8a.conv.weight"] = np.ones((1, 1, 1, 1), np.float32)
  with pytest.raises(ConversionError) as error:
    inception_format.convert_state_dict(state, "pytorch_fid")
  message = str(error.value)
  assert "missing source Mixed_6b.branch7x7_2.conv.weight" in message
  assert "shape of Mixed_7c.branch_pool.bn.weight" in message
  assert "unmatched source Mixed_8a.conv.weight" in message


def test_inception_cli_reports_bad_input(tmp_path, capsys):
  src = tmp_path / "weights.pkl"
  write_state_dict(src, {"fc.weight": np.zeros((10, 2048), np.float32)})
  assert convert_inception.main([str(src), str(tmp_path / "out")]) == 1
  assert "pass --variant" in capsys.readouterr().err
  (tmp_path / "evil.pkl").write_bytes(pickle.dumps(print))
  assert convert_inception.main([str(tmp_path / "evil.pkl"), str(tmp_path / "out")]) == 1
  assert not (tmp_path / "out").exists()


def test_missing_inception_weights_name_the_command(tmp_path):
  with pytest.raises(FileNotFoundError, match="isf-jax-convert inception"):
    load_inception("torchvision", path=tmp_path / "nothing")
  with pytest.raises(ValueError, match="unknown Inception variant"):
    load_inception("tf")


def test_random_inception_gives_finite_features(inception_expected):
  features_fn = random_inception("pytorch_fid", seed=0)
  images = jnp.asarray(inception_expected["images"])
  features = features_fn(images)
  assert features.shape == (2, 2048) and np.isfinite(features).all()
  assert not np.allclose(features[0], features[1])
  with pytest.raises(ValueError, match="expected images"):
    features_fn(images[0])


# --- resizing ----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(31, 17), (256, 256), (299, 301)])
def test_resize_bilinear_pil_matches_pil(size):
  image = np.random.default_rng(0).uniform(0, 1, (40, 52)).astype(np.float32)
  expected = np.asarray(Image.fromarray(image, mode="F").resize(size[::-1], Image.BILINEAR))
  actual = resize_bilinear_pil(jnp.asarray(image)[None, :, :, None], size)[0, :, :, 0]
  np.testing.assert_allclose(actual, expected, atol=1e-5)


def test_resize_bilinear_torch_samples_like_align_corners_false():
  image = jnp.arange(4.0)[None, :, None, None] * jnp.ones((1, 1, 2, 1))
  up = resize_bilinear_torch(image, (8, 2))[0, :, 0, 0]
  # Source coordinate (i + 0.5) / 2 - 0.5, clamped at 0 and at the last pixel.
  np.testing.assert_allclose(up, [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3])
  np.testing.assert_allclose(resize_bilinear_torch(image, (2, 2))[0, :, 0, 0], [0.5, 2.5])


def test_adaptive_avg_pool_uses_torch_windows():
  image = jnp.arange(5.0)[None, :, None, None] * jnp.ones((1, 1, 1, 1))
  # 5 -> 3 cells: rows [0, 2), [1, 4), [3, 5).
  np.testing.assert_allclose(adaptive_avg_pool(image, (3, 1))[0, :, 0, 0], [0.5, 2.0, 3.5])


# --- FID ---------------------------------------------------------------------------------


@pytest.mark.parity
@pytest.mark.parametrize("method", fid.FID_METHODS)
@pytest.mark.parametrize("case", ["full", "singular"])
def test_frechet_distance_matches_pytorch_fid(case, method):
  data = np.load(FIXTURES / "inception" / "fid.npz")
  mu1, sigma1 = fid.feature_statistics(data[f"{case}_x"])
  mu2, sigma2 = fid.feature_statistics(data[f"{case}_y"])
  assert sigma1.dtype == np.float64
  # pytorch-fid's means of float32 features stay float32; ours are float64.
  distance = fid.frechet_distance(mu1, sigma1, mu2, sigma2, method=method)
  np.testing.assert_allclose(distance, data[f"{case}_fid"], rtol=1e-6)


def test_frechet_distance_of_identical_statistics_is_zero():
  x = np.random.default_rng(3).standard_normal((200, 8))
  mu, sigma = fid.feature_statistics(x)
  assert abs(fid.frechet_distance(mu, sigma, mu, sigma)) < 1e-9
  assert fid.frechet_distance(mu, sigma, mu + 1.0, sigma) == pytest.approx(8.0)


def test_fid_refuses_bad_statistics():
  with pytest.raises(ValueError, match="features"):
    fid.feature_statistics(np.zeros((1, 4)))
  with pytest.raises(ValueError, match="do not match"):
    fid.frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
  with pytest.raises(ValueError, match="unknown FID method"):
    fid.frechet_distance(np.zeros(3), np.eye(3), np.zeros(3), np.eye(3), method="svd")


# --- ArcFace IR-SE50 ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def arcface_state_dict():
  keys = json.loads((FIXTURES / "arcface" / "state_dict_keys.json").read_text())
  return recipe_state_dict(keys, ARCFACE_SEED, ARCFACE_SCALES)


def arcface_images():
  return np.random.default_rng(4321).uniform(-1, 1, (2, 256, 256, 3)).astype(np.float32)


@pytest.mark.parity
def test_arcface_matches_official_frs_network(arcface_state_dict):
  """pSp IR-SE50 with the official ISF crop and pool. (In memory: the converter CLI and the
  checkpoint round trip are exercised on Inception, at half this network's size.)"""
  embed = arcface.embed_fn_from_variables(arcface_format.convert_state_dict(arcface_state_dict))
  embeddings = embed(jnp.asarray(arcface_images()))
  expected = np.load(FIXTURES / "arcface" / "expected.npz")["embeddings"]
  assert embeddings.shape == (2, 512)
  np.testing.assert_allclose(embeddings, expected, atol=1e-5)
  np.testing.assert_allclose(np.linalg.norm(embeddings, axis=-1), 1.0, rtol=1e-5)
  frs = arcface.cosine_similarity(embeddings[0], embeddings[1])
  assert frs == pytest.approx(float(expected[0] @ expected[1]), abs=1e-5)
  # Other sizes are resized to 256 first: a 256 px image upsampled from 128 px embeds the same
  # way whether the resize happens here or inside.
  small = jnp.asarray(arcface_images()[:, ::2, ::2])
  np.testing.assert_allclose(embed(small), embed(resize_bilinear_pil(small, (256, 256))), atol=1e-6)


def test_arcface_converter_refuses_mismatched_weights(arcface_state_dict):
  state = dict(arcface_state_dict)
  del state["body.3.shortcut_layer.0.weight"]
  state["body.0.res_layer.5.fc1.weight"] = np.zeros((4, 64), np.float32)
  with pytest.raises(ConversionError) as error:
    arcface_format.convert_state_dict(state)
  assert "missing source body.3.shortcut_layer.0.weight" in str(error.value)
  assert "shape of body.0.res_layer.5.fc1.weight" in str(error.value)


def test_arcface_missing_weights_and_bad_input(tmp_path, capsys):
  with pytest.raises(FileNotFoundError, match="isf-jax-convert arcface"):
    arcface.load_arcface(path=tmp_path / "nothing")
  write_state_dict(tmp_path / "w.pkl", {"input_layer.0.weight": np.zeros((64, 3, 3, 3))})
  assert convert_arcface.main([str(tmp_path / "w.pkl"), str(tmp_path / "out")]) == 1
  assert "conversion problem" in capsys.readouterr().err
  assert not (tmp_path / "out").exists()


def test_random_arcface_embeds_unit_vectors():
  embed = arcface.random_arcface(seed=0)
  images = jnp.asarray(arcface_images()[:, :128, :128])
  embeddings = embed(images)
  assert embeddings.shape == (2, 512)
  np.testing.assert_allclose(np.linalg.norm(embeddings, axis=-1), 1.0, rtol=1e-5)
  np.testing.assert_allclose(arcface.cosine_similarity(embeddings, embeddings), 1.0, rtol=1e-5)
  with pytest.raises(ValueError, match="expected images"):
    embed(images[0])


# --- CelebA-HQ attribute classifiers -----------------------------------------------------

CLASSIFIER_PICKLE = FIXTURES / "attribute_classifier" / "classifier-32.pkl"


@pytest.fixture(scope="module")
def classifier_expected():
  return dict(np.load(FIXTURES / "attribute_classifier" / "expected.npz"))


@pytest.mark.parity
def test_attribute_classifier_matches_reference(tmp_path, classifier_expected):
  images = jnp.asarray(classifier_expected["images"])  # [3, 64, 64, 3]: box-downsampled to 32
  logits = load_attribute_classifier(CLASSIFIER_PICKLE, convention="stylegan")(images)
  assert logits.shape == (3,)
  np.testing.assert_allclose(logits, classifier_expected["logits_stylegan"], rtol=1e-5, atol=1e-6)
  # Through the converter's directory; the ISF convention (ImageNet-normalised [0, 1] input) on
  # images already at the classifier's resolution.
  out = tmp_path / "celebahq-classifier-00-male"
  src = tmp_path / "celebahq-classifier-00-male.pkl"
  src.write_bytes(CLASSIFIER_PICKLE.read_bytes())
  assert convert_attribute_classifier.main([str(src), str(out)]) == 0
  meta = json.loads((out / "config.json").read_text())
  assert (meta["attribute"], meta["index"], meta["architecture"]["resolution"]) == ("male", 0, 32)
  logits = load_attribute_classifier(out)(box_downsample(images, 2))
  np.testing.assert_allclose(logits, classifier_expected["logits_isf"], rtol=1e-5, atol=1e-6)


def _classifier_record():
  return safe_pickle.load_checkpoint_file(CLASSIFIER_PICKLE)


@pytest.mark.parametrize(
  "change, message",
  [
    ({"mbstd_group_size": 4}, "minibatch-stddev"),
    ({"label_size": 2}, "label_size"),
    ({"fused_scale": False}, "unfused"),
    ({"resolution": 64}, "resolution 64 with blocks up to 32"),
    ({"fmap_max": 64}, "shape of"),
  ],
)
def test_attribute_classifier_converter_refuses_other_configurations(change, message):
  record = _classifier_record()
  record.state["static_kwargs"].update(change)
  with pytest.raises(ConversionError, match=message):
    classifier_format.convert_record(record)


def test_attribute_classifier_converter_refuses_bad_variables():
  record = _classifier_record()
  record.state["variables"] = [
    (n, v) for n, v in record.state["variables"] if n != "16x16/Conv0/bias"
  ]
  record.state["variables"].append(("Extra/weight", np.zeros(3, np.float32)))
  with pytest.raises(ConversionError) as error:
    classifier_format.convert_record(record)
  assert "missing source 16x16/Conv0/bias" in str(error.value)
  assert "unmatched source Extra/weight" in str(error.value)
  record = _classifier_record()
  record.state["variables"][0] = ("lod", np.float32(1.0))
  with pytest.raises(ConversionError, match="lod"):
    classifier_format.convert_record(record)
  record.state["build_func_name"] = "D_basic"
  with pytest.raises(ConversionError, match="D_basic"):
    classifier_format.convert_record(record)


def test_attribute_classifier_bad_input(tmp_path, capsys):
  with pytest.raises(FileNotFoundError, match="isf-jax-convert attribute_classifier"):
    load_attribute_classifier(tmp_path / "nothing")
  (tmp_path / "evil.pkl").write_bytes(pickle.dumps(print))
  assert convert_attribute_classifier.main([str(tmp_path / "evil.pkl"), str(tmp_path / "o")]) == 1
  assert "refusing to load" in capsys.readouterr().err
  assert not (tmp_path / "o").exists()
  logit_fn = load_attribute_classifier(CLASSIFIER_PICKLE, convention="stylegan")
  with pytest.raises(ValueError, match="integer factor"):
    logit_fn(jnp.zeros((1, 48, 48, 3)))
  with pytest.raises(ValueError, match="unknown convention"):
    load_attribute_classifier(CLASSIFIER_PICKLE, convention="tf")


def test_attribute_label_conventions():
  logits = jnp.array([-2.0, -0.1, 0.1, 3.0])
  # Official ISF-GAN: inverted labels, except for Age ("young").
  np.testing.assert_array_equal(isf_predicted_labels(logits, "male"), [1, 1, 0, 0])
  np.testing.assert_array_equal(isf_predicted_labels(logits, "young"), [0, 0, 1, 1])
  probabilities = stylegan_probabilities(logits)
  np.testing.assert_allclose(probabilities[:, 0], jax.nn.sigmoid(2 * logits), rtol=1e-6)
  np.testing.assert_allclose(probabilities.sum(-1), 1.0, rtol=1e-6)
  assert CELEBAHQ_ATTRIBUTES[0] == "male" and CELEBAHQ_ATTRIBUTES[19] == "eyeglasses"
  assert len(CELEBAHQ_ATTRIBUTES) == 40 and CELEBAHQ_ATTRIBUTES[4] == "young"


@pytest.mark.parametrize("size", [(31, 17), (256, 256), (20, 26)])
def test_resize_bicubic_pil_matches_pil(size):
  image = np.random.default_rng(0).uniform(0, 1, (40, 52)).astype(np.float32)
  expected = np.asarray(Image.fromarray(image, mode="F").resize(size[::-1], Image.BICUBIC))
  actual = resize_bicubic_pil(jnp.asarray(image)[None, :, :, None], size)[0, :, :, 0]
  np.testing.assert_allclose(actual, expected, atol=1e-5)


def test_fused_downscale_conv_is_conv_then_average():
  """TF's fused `conv2d_downscale2d` (the 3x3 kernel padded to 4x4 and averaged over its four
  shifts, stride 2, SAME) equals the classifier's 3x3 conv followed by 2x2 averaging."""
  rng = np.random.default_rng(5)
  x = jnp.asarray(rng.standard_normal((2, 8, 8, 3)), jnp.float32)
  w = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
  padded = np.pad(w, ((1, 1), (1, 1), (0, 0), (0, 0)))
  fused = (padded[1:, 1:] + padded[:-1, 1:] + padded[1:, :-1] + padded[:-1, :-1]) * 0.25
  dims = ("NHWC", "HWIO", "NHWC")
  conv = functools.partial(
    jax.lax.conv_general_dilated, dimension_numbers=dims, precision=jax.lax.Precision.HIGHEST
  )
  expected = conv(x, jnp.asarray(fused), (2, 2), "SAME")
  actual = box_downsample(conv(x, jnp.asarray(w), (1, 1), "SAME"), 2)
  np.testing.assert_allclose(actual, expected, atol=1e-5)
