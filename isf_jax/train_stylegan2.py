"""Train a small StyleGAN2 on a procedural world.

  python -m isf_jax.train_stylegan2 --config configs/stylegan2_faces.py --workdir runs/sg2_faces

Resumes from `workdir/checkpoints`; the EMA generator ends in `workdir/generator_ema`
(library entry point: `isf_jax.stylegan2.train_loop.train`).
"""

from __future__ import annotations

import time

from absl import app, flags, logging
from ml_collections import config_flags

from isf_jax.demo import faces
from isf_jax.stylegan2 import train_loop

_CONFIG = config_flags.DEFINE_config_file("config", None, "config file", lock_config=True)
_WORKDIR = flags.DEFINE_string("workdir", None, "checkpoints, metrics, samples, the export")


def main(argv):
  del argv
  if not flags.FLAGS["verbosity"].present:
    logging.set_verbosity(logging.WARNING)  # orbax logs every checkpoint operation at INFO
  config = _CONFIG.value
  t0 = time.time()
  images, _ = faces.render_range(0, config.num_images, config.resolution)
  print(f"rendered {len(images)} faces at {config.resolution} px in {time.time() - t0:.0f} s")
  train_loop.train(config, _WORKDIR.value, images)


if __name__ == "__main__":
  flags.mark_flags_as_required(["config", "workdir"])
  app.run(main)
