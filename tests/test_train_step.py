"""The jitted ISF-GAN iteration on tiny networks: it runs, updates both nets, and is the same
on 4 simulated devices as on 1."""

import dataclasses
import functools
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from isf_jax import train_step
from isf_jax.stylegan2 import init_generator
from tests.helpers.tiny import TINY_GENERATOR, tiny_batch, tiny_setup


def test_train_step_updates_both_networks_and_reports_every_term():
  nets, frozen, state = tiny_setup(r1_on="src", ds_decay_steps=5)
  step = jax.jit(functools.partial(train_step.train_step, nets=nets))
  new_state, metrics = step(state, frozen, tiny_batch(0))
  assert int(new_state.step) == 1
  for name in ["adv", "cls", "nb", "latent_cyc", "image_cyc", "ds", "lpips_cyc", "lpips"]:
    assert np.isfinite(metrics[f"isf/{name}"]), name
  for name in ["adv", "cls", "r1"]:
    assert np.isfinite(metrics[f"d/{name}"]), name
  assert metrics["isf/ds"] <= 0 and metrics["d/r1"] >= 0
  changed = lambda a, b: any(
    not np.array_equal(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True)
  )  # noqa: E731
  assert changed(new_state.isf_params, state.isf_params)
  assert changed(new_state.d_params, state.d_params)
  # EMA moves by (1 - 0.999) of the step.
  delta = jax.tree.map(
    lambda e, p0, p1: (e - p0) - 0.001 * (p1 - p0),
    new_state.isf_ema_params,
    state.isf_params,
    new_state.isf_params,
  )
  assert max(float(jnp.max(jnp.abs(d))) for d in jax.tree.leaves(delta)) < 1e-7


def test_source_images_rendered_or_read_from_the_batch():
  generator, gen_vars = init_generator(TINY_GENERATOR, seed=1)
  frozen = {"generator": gen_vars}
  batch = tiny_batch(0)

  def source_images(source_image, **batch_items):
    cfg = ml_collections.ConfigDict(
      dict(img_size=16, resize="box", render_noise_mode="const", source_image=source_image,
           remat_generator=False)
    )  # fmt: skip
    nets = train_step.Networks(None, None, generator, None, None, None, cfg)
    return np.asarray(train_step.source_images(nets, frozen, dict(batch, **batch_items), None))

  expected = generator.apply(gen_vars, batch["wp"], method="synthesize")  # [8, 32, 32, 3]
  np.testing.assert_allclose(
    source_images("render"), expected.reshape(8, 16, 2, 16, 2, 3).mean((2, 4)), atol=1e-6
  )
  stored = np.random.default_rng(0).uniform(-1, 1, (8, 64, 64, 3)).astype(np.float32)
  np.testing.assert_allclose(
    source_images("dataset", image=stored), stored.reshape(8, 16, 4, 16, 4, 3).mean((2, 4)),
    atol=1e-6,
  )  # fmt: skip
  with pytest.raises(ValueError, match="source_image must be one of"):
    source_images("disk")


def test_rematerialised_render_has_the_same_gradient():
  generator, gen_vars = init_generator(TINY_GENERATOR, seed=1)
  wp = jnp.asarray(tiny_batch(0)["wp"])
  grads = []
  for remat in (False, True):
    cfg = ml_collections.ConfigDict(
      dict(img_size=16, resize="box", render_noise_mode="const", remat_generator=remat)
    )
    nets = train_step.Networks(None, None, generator, None, None, None, cfg)

    def loss(wp, nets=nets):
      return jnp.sum(train_step.render(nets, {"generator": gen_vars}, wp, None) ** 2)

    grads.append(np.asarray(jax.jit(jax.grad(loss))(wp)))
  np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5, atol=1e-6)


MULTI_DEVICE_SCRIPT = textwrap.dedent(
  """
    import jax, numpy as np
    from tests.helpers.tiny import tiny_setup, tiny_batch
    from isf_jax import sharding, train_step

    nets, frozen, state = tiny_setup()
    results = []
    for devices in (jax.devices()[:1], jax.devices()):
      mesh = sharding.data_mesh(devices)
      replicated, sharded = sharding.replicated(mesh), sharding.batch_sharded(mesh)
      jitted = train_step.jit_train_step(nets, mesh, donate=False)
      s = jax.device_put(state, replicated)
      f = jax.device_put(frozen, replicated)
      for i in range(3):
        s, _ = jitted(s, f, jax.device_put(tiny_batch(i), sharded))
      results.append(s)
    leaves = [jax.tree.leaves((r.isf_params, r.d_params)) for r in results]
    diff = max(float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in zip(*leaves))
    print("DEVICES", len(jax.devices()), "MAXDIFF", diff)
    """
)


def test_four_devices_equal_one_device():
  env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4", JAX_PLATFORMS="cpu")
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  result = subprocess.run(
    [sys.executable, "-c", MULTI_DEVICE_SCRIPT], capture_output=True, text=True, env=env, cwd=root
  )
  assert result.returncode == 0, result.stderr[-2000:]
  line = [ln for ln in result.stdout.splitlines() if ln.startswith("DEVICES")][-1]
  _, devices, _, diff = line.split()
  assert devices == "4"
  assert float(diff) < 1e-5, line


def test_render_brings_images_to_the_loss_size_as_configured():
  """config.train.resize: "box" averages 4x4 blocks here (the StyleGAN2 code's adaptive average
  pooling), "bilinear" is torch's F.interpolate(mode="bilinear") without corner alignment (the
  StyleGAN v1 code: at a factor of 4 each output pixel mixes input pixels 4i+1 and 4i+2 only;
  at a factor of 2 the two modes agree); a dataset image is resized the same way."""
  from isf_jax.losses import box_downsample, resize_to
  from isf_jax.metrics.resize import resize_bilinear_torch

  wp = jnp.asarray(tiny_batch(0)["wp"][:2])
  full = None
  for mode, expect in (("box", box_downsample), ("bilinear", resize_bilinear_torch)):
    nets, frozen, _ = tiny_setup(resize=mode, img_size=8)
    full = nets.generator.apply(frozen["generator"], wp, noise_mode="const", method="synthesize")
    small = train_step.render(nets, frozen, wp, jax.random.key(0))
    assert small.shape == (2, 8, 8, 3)
    size = 8 if mode == "box" else (8, 8)
    np.testing.assert_allclose(small, expect(full, size), atol=1e-6)
    cfg = nets.cfg.copy_and_resolve_references()
    cfg.source_image = "dataset"
    nets = dataclasses.replace(nets, cfg=cfg)
    stored = train_step.source_images(nets, frozen, {"image": full}, None)
    np.testing.assert_allclose(stored, expect(full, size), atol=1e-6)
  assert not np.allclose(box_downsample(full, 8), resize_to(full, 8, "bilinear"), atol=1e-3)
  np.testing.assert_allclose(
    resize_to(full, 8, "bilinear")[:, 1, 2], full[:, 5:7, 9:11].mean(axis=(1, 2)), atol=1e-6
  )
  np.testing.assert_allclose(box_downsample(full, 16), resize_to(full, 16, "bilinear"), atol=1e-6)
  with pytest.raises(ValueError, match="resize mode must be one of"):
    resize_to(full, 8, "nearest")
