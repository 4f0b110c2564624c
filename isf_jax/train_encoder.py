"""Train an e4e encoder for a frozen generator on synthetic pairs (w, G(w)).

  python -m isf_jax.train_encoder --config configs/encoder/demo.py --workdir DIR
      [--config.x=...] [--coordinator HOST:PORT --num_processes N --process_id I]

The command line of `isf_jax.encoder_training.train_and_evaluate(config, workdir)`: it resumes
from the latest checkpoint in `workdir/checkpoints` exactly, saves on SIGTERM, writes metrics
to the console, `metrics.jsonl` and TensorBoard, and input | reconstruction grids to
`samples/`. At the end the encoder is saved to `workdir/encoder` (for `--invert encoder
--encoder DIR/encoder`) and compared with the projector on held-out renders: the table is
printed and written to `workdir/inversion.md`.
"""

from __future__ import annotations

import json
import sys

import jax
from absl import app, flags, logging
from ml_collections import config_flags

from isf_jax.cache import enable_compilation_cache
from isf_jax.encoder_training import NonFiniteLossError, train_and_evaluate


def _define_flags():
  """Defined only when the command runs, so that importing it defines no flags."""
  config_flags.DEFINE_config_file("config", None, "config file", lock_config=True)
  flags.DEFINE_string("workdir", None, "where checkpoints, metrics, samples and the encoder go")
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
