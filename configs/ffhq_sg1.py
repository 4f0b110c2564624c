"""ISF-GAN on FFHQ 1024 px StyleGAN v1 (the paper's Set1: InterFaceGAN's generator).

  python -m convert.stylegan1 karras2019stylegan-ffhq-1024x1024.pkl ckpts/stylegan1-ffhq
  python -m convert.lpips --from-pypi
  python -m isf_jax.data.generate --config configs/ffhq_sg1.py --out work/set1 \\
      --ckpt ckpts/stylegan1-ffhq --label-fn MODULE:FUNCTION --data-dir data
  python -m isf_jax.train --config configs/ffhq_sg1.py --workdir runs/ffhq_sg1 \\
      --config.generator.ckpt=ckpts/stylegan1-ffhq --config.data.data_dir=data

(InterFaceGAN's `stylegan_ffhq.pth` converts the same way.) The data command takes its defaults
from `config.data.generate`: 80K training and 10K test codes, z ~ N(0, I) mapped to W and
truncated with psi 0.7 on the first 8 W+ layers, rendered with the generator's fixed noise and
labelled with the official rule (p > 0.6, inverted for gender, glasses and expression); a
`--label-fn` returning the four CelebA-HQ classifiers' probabilities [N, 4] (male, eyeglasses,
young, smiling) is the user's.

Official v1 settings (yhlleo/stylegan-mmuit `styleganv1/train.sh`, `core/solver.py`, what
differs from configs/ffhq.py): lambda_nb 0.1 (v2: 0.01), the v1 pos_weight, gradient clipping
at 2.0 on both nets (v2: 1.0), the 1024 px output brought to 256 px by `F.interpolate(
mode="bilinear")` without corner alignment (v2: 4x4 average pooling) and the generator's fixed
noise buffers (InterFaceGAN `STYLEGAN_RANDOMIZE_NOISE = False`; v2: fresh noise per render).
The InterFaceGAN baseline edits W before the truncation, as InterFaceGAN's `*_w_boundary.npy`
files do (`config.interfacegan`). Variants: `configs/ffhq_sg1.py:paper`, `:w`, `:adain`,
`:no_nb`, `:no_lpips` (configs/common.py).
Expected: 50k iterations at global batch 16; the paper's Set1 reports FID 29.44, LPIPS 0.16,
FRS 0.75 and accuracy 95.45% (Table I). Not yet reproduced here.
"""

import ml_collections

from configs import common

# pos_weight of the official v1 run (styleganv1/core/solver.py), [gender, glasses, age, expression].
FFHQ_SG1_POS_WEIGHT = [1.094125, 1.654650, 1.718999, 0.530550]
TRUNCATION_PSI = 0.7  # InterFaceGAN models/model_settings.py: STYLEGAN_TRUNCATION_PSI
TRUNCATION_CUTOFF = 8  # STYLEGAN_TRUNCATION_LAYERS


def get_config(variant: str = ""):
  c = common.base_config()
  c.generator.make_command = (
    "isf-jax-convert stylegan1 karras2019stylegan-ffhq-1024x1024.pkl CKPT_DIR"
  )
  c.data.name = "ffhq_sg1_latents"
  c.data.attributes = ["gender", "glasses", "age", "expression"]
  c.data.generate = generation_settings()
  c.isf.num_layers = 18
  c.train.resize = "bilinear"
  c.train.render_noise_mode = "const"
  c.train.pos_weight = FFHQ_SG1_POS_WEIGHT
  c.train.lambda_nb = 0.1
  c.optim.grad_clip = 2.0
  c.interfacegan.truncation_psi = TRUNCATION_PSI
  c.interfacegan.truncation_cutoff = TRUNCATION_CUTOFF
  return common.apply_variant(c, variant)


def generation_settings() -> ml_collections.ConfigDict:
  """Set1 as the official `generate_data.py` runs made it (official-code.md, section 6)."""
  g = ml_collections.ConfigDict()
  g.num_train = 80_000
  g.num_test = 10_000
  g.psi = TRUNCATION_PSI
  g.cutoff = TRUNCATION_CUTOFF
  g.mix_per_code = 0  # no style mixing in Set1
  g.thresholds = [0.6]
  # label 1 = male, glasses, old, smiling; from p(male), p(eyeglasses), p(young), p(smiling)
  g.invert = [1, 1, 0, 1]
  return g
