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

from isf_jax import trainer_command
from isf_jax.encoder_training import train_and_evaluate

if __name__ == "__main__":
  trainer_command.run(train_and_evaluate, "where checkpoints, metrics, samples and the encoder go")
