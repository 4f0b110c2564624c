"""The ISF stack on a StyleGAN v1 generator: Set1 data generation, configs/ffhq_sg1.py training
end to end on a tiny random v1 generator, the exported ISF in the Translator."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import ffhq, ffhq_sg1
from isf_jax import generators, layers
from isf_jax.stylegan1 import GeneratorConfig, init_generator
from isf_jax.stylegan1.checkpoint import save_generator

# 128 px (the fused transposed convolution at 128, as NVlabs' 'auto'), 12 W+ layers: the
# renders are brought to 32 px, a factor of 4, where bilinear and box resizing differ.
TINY_V1 = GeneratorConfig(
  resolution=128, channels=(16, 16, 16, 8, 8, 4), z_dim=16, w_dim=16, mapping_layers=2
)


def four_probs(images):
  """A stand-in for the four CelebA-HQ classifiers: images [N, R, R, 3] -> p [N, 4]."""
  means = np.asarray(images, np.float64).mean(axis=(1, 2))  # [N, 3]
  features = np.concatenate([means, means.mean(axis=1, keepdims=True)], axis=1)
  centred = features - np.median(features, axis=0)
  return 1.0 / (1.0 + np.exp(-50.0 * centred))


@pytest.fixture(scope="module")
def v1_generator(tmp_path_factory):
  _, variables = init_generator(TINY_V1, seed=3)
  variables = jax.tree.map(np.array, variables)  # writable copies
  rng = np.random.default_rng(0)
  params = variables["params"]
  for leaf in jax.tree.leaves(params):  # zero-initialised biases and noise strengths: perturb
    if leaf.ndim == 1 and not np.any(leaf):
      leaf += rng.normal(scale=0.2, size=leaf.shape).astype(leaf.dtype)
  variables["buffers"]["mapping"]["w_avg"] = rng.normal(size=16).astype(np.float32)
  path = tmp_path_factory.mktemp("gen") / "stylegan1"
  save_generator(path, TINY_V1, variables)
  return path


def test_official_v1_settings():
  c, v2 = ffhq_sg1.get_config(), ffhq.get_config()
  assert c.train.lambda_nb == 0.1 and v2.train.lambda_nb == 0.01
  assert c.train.pos_weight == [1.094125, 1.654650, 1.718999, 0.530550]
  assert c.optim.grad_clip == 2.0 and v2.optim.grad_clip == 1.0
  assert (c.train.resize, v2.train.resize) == ("bilinear", "box")
  assert (c.train.render_noise_mode, v2.train.render_noise_mode) == ("const", "random")
  g = c.data.generate
  assert (g.num_train, g.num_test, g.psi, g.cutoff, g.mix_per_code) == (80_000, 10_000, 0.7, 8, 0)
  assert (c.interfacegan.truncation_psi, c.interfacegan.truncation_cutoff) == (0.7, 8)
  assert v2.interfacegan.truncation_psi == 1.0
  assert ffhq_sg1.get_config("paper").train.r1_on == "src"
  assert layers.layer_presets("stylegan1")["age"] == (2, 6)  # styleganv1/isfgan_edit.py
  v1_mask = layers.layer_mask("preset", ["glasses"], 18, "stylegan1")
  assert np.flatnonzero(v1_mask).tolist() == [1, 2, 3]
  assert np.flatnonzero(layers.layer_mask("preset", ["glasses"], 18)).tolist() == [2, 3]


def test_data_generation_defaults_come_from_the_config():
  import argparse

  from isf_jax.data import generate

  def filled(**given):
    names = ("config", "num_train", "num_test", "psi", "cutoff", "mix_per_code", "thresholds",
             "invert", "attributes", "name", "ckpt")  # fmt: skip
    return generate.fill_defaults(argparse.Namespace(**{n: given.get(n) for n in names}))

  set1 = filled(config="configs/ffhq_sg1.py", num_test=8)
  assert (set1.num_train, set1.num_test, set1.psi, set1.cutoff) == (80_000, 8, 0.7, 8)
  assert (set1.thresholds, set1.invert, set1.mix_per_code) == ("0.6", "1,1,0,1", 0)
  assert (set1.attributes, set1.name) == ("gender,glasses,age,expression", "ffhq_sg1_latents")
  assert set1.ckpt == "faces"  # the config names none: the command's fallback
  plain = filled(num_train=4, attributes="a")
  assert (plain.psi, plain.cutoff, plain.thresholds, plain.num_test) == (1.0, None, "0.5", 0)
  with pytest.raises(ValueError, match="--num-train is needed"):
    filled(attributes="a")
  with pytest.raises(FileNotFoundError, match="config file 'configs/none.py' does not exist"):
    filled(config="configs/none.py")


def test_kind_agnostic_noise_helpers(v1_generator):
  config, variables = generators.read_generator(v1_generator)
  shapes = generators.noise_shapes(config)
  assert shapes == [(r, r) for r in (4, 8, 16, 32, 64, 128) for _ in range(2)]
  noise = generators.const_noise(config, variables)
  assert [n.shape for n in noise] == shapes
  model = generators.generator_module(config)
  wp = jnp.asarray(np.random.default_rng(1).normal(size=(2, 12, 16)), jnp.float32)
  stored = model.apply(variables, wp, method="synthesize")  # the fixed noise buffers
  explicit = model.apply(variables, wp, noise=noise, method="synthesize")
  np.testing.assert_allclose(stored, explicit, atol=1e-6)


@pytest.mark.slow  # 2.5 min on 2 busy CPU cores (load 11): data, two training steps, editing
def test_ffhq_sg1_config_trains_end_to_end_and_edits(v1_generator, tmp_path, lpips_cache):
  from isf_jax.data import generate, pipeline
  from isf_jax.training import train_and_evaluate
  from isf_jax.translator import Translator

  data_dir, work = tmp_path / "data", tmp_path / "chunks"
  argv = ["--config", "configs/ffhq_sg1.py", "--ckpt", str(v1_generator), "--out", str(work),
          "--label-fn", "tests.test_stylegan1_isf:four_probs", "--num-train", "16",
          "--num-test", "8", "--chunk-size", "8", "--data-dir", str(data_dir)]  # fmt: skip
  assert generate.main(argv) == 0
  manifest = json.loads((work / "train.json").read_text())
  assert manifest["thresholds"] == [0.6] and manifest["invert"] == [True, True, False, True]
  train = pipeline.load_split(str(data_dir), "ffhq_sg1_latents", "train")
  wp = train["wp"]  # [16, 12, 16]: psi 0.7 on layers 0-7, layers 8-11 are W itself
  assert wp.shape == (16, 12, 16)
  _, variables = generators.read_generator(v1_generator)
  w_avg = variables["buffers"]["mapping"]["w_avg"]
  truncated = np.repeat(w_avg + 0.7 * (wp[:, 8:9] - w_avg), 8, axis=1)
  np.testing.assert_allclose(wp[:, :8], truncated, atol=1e-5)
  np.testing.assert_array_equal(wp[:, 8:], np.repeat(wp[:, 8:9], 4, axis=1))

  config = ffhq_sg1.get_config()
  config.generator.ckpt = str(v1_generator)
  config.data.data_dir = str(data_dir)
  config.isf.num_layers, config.isf.hidden_dim = 12, 32
  config.train.img_size, config.train.noise_dim = 32, 8  # 128 px renders, bilinear to 32
  config.disc.dim_in, config.disc.max_channels = 8, 16
  config.total_steps, config.global_batch_size = 2, 4
  config.optim.warmup_steps = 1
  config.log_every_steps, config.sample_every_steps, config.ckpt_every_steps = 1, 1000, 1000
  last = train_and_evaluate(config, tmp_path / "run")
  assert np.isfinite(last["isf/total"]) and np.isfinite(last["d/total"])

  translator = Translator.load(isf=tmp_path / "run" / "isf_ema")
  assert translator.generator_config.kind == "stylegan1"
  test = pipeline.load_split(str(data_dir), "ffhq_sg1_latents", "test")
  edited = translator.translate(
    test["wp"][:3], {"age": 1}, num_samples=2, layers="preset", source_labels=test["labels"][:3]
  )  # [3, 2, 12, 16]
  assert edited.shape == (3, 2, 12, 16)
  kept = np.setdiff1d(np.arange(12), np.arange(2, 6))  # v1 age preset: layers 2-5 edited
  np.testing.assert_array_equal(
    edited[:, :, kept], np.repeat(test["wp"][:3, None], 2, 1)[:, :, kept]
  )
  assert not np.allclose(edited[:, 0, 2:6], test["wp"][:3, 2:6])
  images = translator.render(edited[:, 0])
  assert images.shape == (3, 128, 128, 3) and np.all(np.isfinite(images))
  seeded = translator.latents_from_seeds([0, 1], psi=0.7, cutoff=8)  # Set1 truncation
  truncated = np.repeat(w_avg + 0.7 * (seeded[:, 8:9] - w_avg), 8, axis=1)
  np.testing.assert_allclose(seeded[:, :8], truncated, atol=1e-5)
