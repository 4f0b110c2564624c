"""Defaults shared by the encoder configs (`python -m isf_jax.train_encoder`)."""

import ml_collections


def base_config() -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.seed = 0
  c.total_steps = 10_000
  c.global_batch_size = 8
  c.log_every_steps = 100
  c.sample_every_steps = 1_000
  c.ckpt_every_steps = 1_000
  c.keep_checkpoints = 2

  c.generator = ml_collections.ConfigDict()
  c.generator.ckpt = ""  # a built-in world ("faces") or a converted generator directory

  # The e4e encoder's shape; resolution / style_dim pin the generator (0: whatever it is).
  c.encoder = ml_collections.ConfigDict()
  c.encoder.resolution = 0
  c.encoder.style_dim = 0
  c.encoder.input_size = 256
  c.encoder.stem_channels = 64
  c.encoder.stage_depths = (64, 128, 256, 512)
  c.encoder.stage_units = (3, 4, 14, 3)  # IR-SE50

  c.data = ml_collections.ConfigDict()
  c.data.psi = 1.0  # truncation of the training codes (1: the generator's whole W)
  c.data.real_dir = ""  # a folder of real photos mixed into each batch (optional)
  c.data.real_fraction = 0.0  # of each batch, when real_dir is set

  c.loss = ml_collections.ConfigDict()
  c.loss.lpips_net = "alex"
  c.loss.lambda_l2 = 1.0  # e4e's weights
  c.loss.lambda_lpips = 0.8
  c.loss.lambda_latent = 0.0
  c.loss.lambda_delta = 2e-4
  c.loss.lambda_id = 0.1
  c.loss.arcface = ""  # converted ArcFace weights (isf-jax-convert arcface): identity loss

  c.optim = ml_collections.ConfigDict()
  c.optim.lr = 1e-4
  c.optim.b1 = 0.9
  c.optim.b2 = 0.999
  c.optim.warmup_steps = 0
  c.optim.final_lr_fraction = 1.0

  # The comparison run after training (isf_jax.encoder_training.evaluate); 0 images: none.
  c.eval = ml_collections.ConfigDict()
  c.eval.num_images = 16
  c.eval.seed = 20_000
  c.eval.psi = 1.0
  c.eval.lpips_net = "vgg"  # the projector's distance
  c.eval.projector_steps = (100, 1000)
  c.eval.refine_steps = (20,)  # encoder + N projector steps, for each N
  return c
