"""A small StyleGAN2 on the procedural faces world (isf_jax/demo/faces.py), 32 px.

  python -m isf_jax.train_stylegan2 --config configs/stylegan2_faces.py --workdir runs/sg2_faces

Training set: faces seeds [0, 50000) rendered at 32 px, x-flipped at random. Seed 0.
The committed generator (isf_jax/demo/assets/generator) is this config's run to step 4800
(76.8k images at batch 16): 51 min wall on the shared 2-core CPU development machine (AMD EPYC,
jax 0.10.2, one host device, under nice 5 beside five other jobs, ~1.6 steps/s), 2026-11-27.
Two host devices (XLA_FLAGS=--xla_force_host_platform_device_count=2) aborted after 50 steps on
that overloaded machine: an all-reduce waited past XLA:CPU's 40 s rendezvous limit.
Measured quality (classifier state frequencies, 2048 samples at psi 1):
isf_jax/demo/assets/README.md.
"""

import ml_collections


def get_config():
  c = ml_collections.ConfigDict()
  c.seed = 0
  c.resolution = 32
  c.num_images = 50_000  # faces seeds [0, num_images)
  c.total_steps = 4_800  # the run was launched open-ended and stopped here by the time budget
  c.log_every_steps = 50
  c.sample_every_steps = 500
  c.ckpt_every_steps = 200
  c.keep_checkpoints = 2
  c.sample_count = 64

  c.generator = ml_collections.ConfigDict()
  c.generator.channels = [128, 64, 32, 24]  # at 4, 8, 16, 32 px
  c.generator.z_dim = 128
  c.generator.w_dim = 128
  c.generator.mapping_layers = 4
  c.generator.mapping_lr_multiplier = 0.01

  c.discriminator = ml_collections.ConfigDict()
  c.discriminator.channels = [128, 64, 32, 24]

  c.optim = ml_collections.ConfigDict()
  c.optim.lr = 0.0025
  c.optim.beta1 = 0.0
  c.optim.beta2 = 0.99

  c.train = ml_collections.ConfigDict()
  c.train.batch_size = 16
  c.train.r1_gamma = 0.01  # stylegan2-ada's auto rule, 0.0002 R^2 / batch, gives 0.0128
  c.train.r1_interval = 16
  c.train.style_mixing_prob = 0.9
  c.train.ema_kimg = 10.0
  c.train.ema_rampup = 0.05

  c.export = ml_collections.ConfigDict()
  c.export.w_avg_samples = 8192
  return c
