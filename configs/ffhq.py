"""ISF-GAN on FFHQ 1024 px StyleGAN2 (the official Set2 setting).

  python -m convert.stylegan2 stylegan2-ffhq-config-f.pt ckpts/stylegan2-ffhq
  python -m convert.lpips --from-pypi
  python -m isf_jax.train --config configs/ffhq.py --workdir runs/ffhq \\
      --config.generator.ckpt=ckpts/stylegan2-ffhq --config.data.data_dir=data

Variants: `configs/ffhq.py:paper`, `:w`, `:adain`, `:no_nb`, `:no_lpips`.
Expected: 50k iterations at global batch 16 (the official run took ~16 h on 4 V100s);
attribute edits of gender, glasses, age and expression with diverse samples.
"""

from configs import common


def get_config(variant: str = ""):
  c = common.base_config()
  c.data.name = "ffhq_latents"
  c.data.attributes = ["gender", "glasses", "age", "expression"]
  c.isf.num_layers = 18
  return common.apply_variant(c, variant)
