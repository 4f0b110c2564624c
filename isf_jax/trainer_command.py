"""The command line the trainers share (`python -m isf_jax.train`, `python -m
isf_jax.train_encoder`):

  --config FILE [--config.x=...] --workdir DIR
  [--coordinator HOST:PORT --num_processes N --process_id I]   (multi-host, jax.distributed)

It calls the trainer's `train_and_evaluate(config, workdir)` and prints its result as JSON; a
missing file, a bad setting or a non-finite loss ends in one line on stderr and exit 1. The
flags are defined only when a command runs, so that importing a trainer defines none.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

import jax
from absl import app, flags, logging
from ml_collections import config_flags

from isf_jax.cache import enable_compilation_cache
from isf_jax.training.progress import NonFiniteLossError


def run(train_and_evaluate: Callable, workdir_help: str) -> None:
  """Parses sys.argv and trains; does not return."""
  config_flags.DEFINE_config_file("config", None, "config file", lock_config=True)
  flags.DEFINE_string("workdir", None, workdir_help)
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

  app.run(main)
