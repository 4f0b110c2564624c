"""An e4e encoder for the demo world's faces generator (32 px, W+ [8, 128]) on a 2-core CPU.

  python -m isf_jax.train_encoder --config configs/encoder/demo.py --workdir encoder_out

Synthetic pairs only: codes from the generator's whole W (psi 1), rendered with fresh noise.
A narrow, shallow IR-SE body (widths 32-128, units (1, 2, 2, 1)) on the 32 px photo itself.
Then the comparison with the projector on 16 held-out renders, in LPIPS-Alex (docs/inversion.md).

Measured on 2 idle CPU cores: training 4 min 26 s (6 min with a cold compilation cache), the
whole command 8 min 49 s. The encoder: LPIPS-Alex 0.0066, 28.0 dB in 12 ms per photo; the
projector: 0.0192 / 20.5 dB in 1.3 s (100 steps), 0.0014 / 29.7 dB in 12.7 s (1000 steps);
encoder + 100 steps: 0.0005 / 33.5 dB in 1.3 s.
"""

from configs.encoder import common


def get_config():
  c = common.base_config()
  c.total_steps = 1_000
  c.global_batch_size = 16
  c.log_every_steps = 50
  c.sample_every_steps = 250
  c.ckpt_every_steps = 250

  c.generator.ckpt = "faces"
  c.encoder.resolution = 32
  c.encoder.style_dim = 128
  c.encoder.input_size = 32
  c.encoder.stem_channels = 32
  c.encoder.stage_depths = (32, 64, 96, 128)
  c.encoder.stage_units = (1, 2, 2, 1)

  c.loss.lambda_latent = 1.0  # the codes are known: the cheapest signal of all
  c.optim.lr = 1e-3
  c.optim.warmup_steps = 50
  c.optim.final_lr_fraction = 0.05

  # LPIPS-VGG costs 0.2 s per projector step here (its trunk is 100x AlexNet's FLOPs at 32 px;
  # AlexNet: 13 ms), so 16 photos x 1,120 steps would take an hour: the comparison measures
  # (and the projector minimises) LPIPS-Alex instead.
  c.eval.lpips_net = "alex"
  c.eval.refine_steps = (20, 100)
  return c
