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

from __future__ import annotations

import json
import sys

import jax
from absl import app, flags, logging
from ml_collections import config_flags

from isf_jax.cache import enable_compilation_cache
from isf_jax.training import NonFiniteLossError, train_and_evaluate


def _define_flags():
  """Defined only when the command runs, so that importing it defines no flags."""
  config_flags.DEFINE_config_file("config", None, "config file", lock_config=True)
  flags.DEFINE_string("workdir", None, "where checkpoints, metrics and samples go")
  flags.DEFINE_string("coordinator", "", "jax.distributed coordinator host:port")
  flags.DEFINE_integer("num_processes", 1, "processes in a multi-host run")
  flags.DEFINE_integer("process_id", 0, "this process's index")
  flags.mark_flags_as_required(["config", "workdir"])


def main(argv):
  del argv
  enable_compilation_cache()
  f = flags.FLAGS
  if not f["verbosity"].present:
    logging.set_verbosity(logging.WARNING)  # orbax logs every checkpoint operation at INFO
  if jax.process_count() == 1 and f.coordinator:
    jax.distributed.initialize(f.coordinator, f.num_processes, f.process_id)
  try:
    result = train_and_evaluate(f.config, f.workdir)
  except (FileNotFoundError, ValueError, NonFiniteLossError) as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)
  print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == "__main__":
  _define_flags()
  app.run(main)
