"""An e4e encoder for the 1024 px FFHQ StyleGAN2 (W+ [18, 512]): the released e4e's shape.

  python -m isf_jax.train_encoder --config configs/encoder/ffhq.py --workdir runs/e4e_ffhq \
      --config.generator.ckpt=CKPT_DIR [--config.loss.arcface=ARCFACE_DIR] \
      [--config.data.real_dir=FFHQ_DIR --config.data.real_fraction=0.5]

IR-SE50 (64-512 channels) on 256 px input, e4e's loss weights (L2 1, LPIPS 0.8, identity 0.1
with ArcFace weights from `isf-jax-convert arcface model_ir_se50.pth`, delta 2e-4), Adam at
1e-4, batch 8, plus the latent L2 on rendered pairs. NOT run here: it needs accelerators
(e4e trains for days on one GPU); the numbers in docs/inversion.md are the demo world's.
"""

from configs.encoder import common


def get_config():
  c = common.base_config()
  c.total_steps = 300_000
  c.global_batch_size = 8
  c.log_every_steps = 100
  c.sample_every_steps = 5_000
  c.ckpt_every_steps = 5_000
  c.keep_checkpoints = 3
  c.generator.ckpt = ""  # isf-jax-convert stylegan2 stylegan2-ffhq-config-f.pt CKPT_DIR
  c.encoder.resolution = 1024
  c.encoder.style_dim = 512
  c.loss.lambda_latent = 1.0
  c.eval.num_images = 64
  c.eval.projector_steps = (100, 1000)
  return c
