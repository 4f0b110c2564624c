"""Train an implicit style function against a frozen StyleGAN.

  python -m isf_jax.train --config configs/ffhq.py --workdir runs/ffhq [--config.x=...]
      [--coordinator HOST:PORT --num_processes N --process_id I]

The command line of `isf_jax.training.train_and_evaluate(config, workdir)`, which tests and
notebooks call directly: it resumes from the latest checkpoint in `workdir/checkpoints`
exactly (parameters, optimiser states, EMA, step, PRNG key and input position), saves on
SIGTERM, writes metrics to the console, `metrics.jsonl` and TensorBoard, and fixed-seed sample
grids to `samples/`. At the end the EMA ISF is exported to `workdir/isf_ema` (an ISF
checkpoint: `isf_jax.load_isf`).
"""

from isf_jax import trainer_command
from isf_jax.training import train_and_evaluate

if __name__ == "__main__":
  trainer_command.run(train_and_evaluate, "where checkpoints, metrics and samples go")
