"""Tiny ISF-GAN networks and batches: the training step in seconds on a CPU."""

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from isf_jax import optim, train_step
from isf_jax.lpips import LPIPS
from isf_jax.models.discriminator import Discriminator
from isf_jax.models.isf import ISF
from isf_jax.stylegan2 import GeneratorConfig, init_generator

NUM_DOMAINS = 3
TINY_GENERATOR = GeneratorConfig(
  resolution=32, channels=(16, 16, 16, 8), z_dim=16, w_dim=16, mapping_layers=2
)


def tiny_setup(r1_on="cls", ds_decay_steps=0, source_image="render", resize="box", img_size=32):
  gen_config = TINY_GENERATOR
  generator, gen_vars = init_generator(gen_config, seed=1)
  lpips = LPIPS("alex", check_range=False)
  x = jnp.zeros((1, 32, 32, 3))
  lpips_vars = lpips.init(jax.random.key(2), x, x)
  cfg = ml_collections.ConfigDict(
      dict(img_size=img_size, resize=resize, noise_dim=8, render_noise_mode="const",
           source_image=source_image, remat_generator=False,
           r1_on=r1_on, pos_weight=[1.0, 2.0, 0.5], lambda_cls=2.0, lambda_r1=1.0,
           lambda_lat_cyc=1.0, lambda_src_cyc=1.0, lambda_ds=2.0, ds_decay_steps=ds_decay_steps,
           lambda_lpips=1.0, lambda_lpips_cyc=1.0, lambda_nb=0.01, ema_decay=0.999)
  )  # fmt: skip
  opt = ml_collections.ConfigDict(
      dict(lr=1e-4, warmup_init_lr=1e-5, warmup_steps=2, min_lr=1e-5, b1=0.0, b2=0.99, eps=1e-8,
           weight_decay=1e-5, grad_clip=1.0)
  )  # fmt: skip
  nets = train_step.Networks(
    isf=ISF(num_layers=gen_config.num_ws, num_domains=NUM_DOMAINS, hidden_dim=32),
    discriminator=Discriminator(
      img_size=img_size, num_domains=NUM_DOMAINS, dim_in=8, max_channels=16
    ),
    generator=generator,
    lpips=lpips,
    isf_tx=optim.make_optimizer(opt, total_steps=10),
    d_tx=optim.make_optimizer(opt, total_steps=10),
    cfg=cfg,
  )
  frozen = {"generator": gen_vars, "lpips": lpips_vars}
  state = train_step.init_state(
    nets, seed=0, wp_shape=(8, gen_config.num_ws, 16), num_domains=NUM_DOMAINS
  )
  return nets, frozen, state


def tiny_batch(step, batch_size=8, num_ws=8):
  rs = np.random.RandomState(100 + step)
  return {
    "wp": rs.randn(batch_size, num_ws, 16).astype(np.float32),
    "labels": rs.randint(0, 2, (batch_size, NUM_DOMAINS)).astype(np.float32),
    "target_labels": rs.randint(0, 2, (batch_size, NUM_DOMAINS)).astype(np.float32),
  }
