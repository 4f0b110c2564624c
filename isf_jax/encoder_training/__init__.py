"""Training an e4e encoder for a frozen generator on synthetic pairs (w, G(w)):
`train_and_evaluate(config, workdir)` (`isf_jax.train_encoder` is its command)."""

from isf_jax.encoder_training.loop import NonFiniteLossError, train_and_evaluate

__all__ = ["NonFiniteLossError", "train_and_evaluate"]
