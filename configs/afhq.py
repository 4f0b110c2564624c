"""ISF-GAN cat <-> dog on a 256 px AFHQ StyleGAN2 (14 W+ layers, one binary domain).

  python -m isf_jax.train --config configs/afhq.py --workdir runs/afhq \\
      --config.generator.ckpt=ckpts/stylegan2-afhq --config.data.data_dir=data
"""

from configs import common


def get_config(variant: str = ""):
  c = common.base_config()
  c.data.name = "afhq_latents"
  c.data.attributes = ["dog"]
  c.isf.num_layers = 14
  c.train.pos_weight = [1.0]  # the official pos_weight is FFHQ-only
  return common.apply_variant(c, variant)
