"""Training an ISF: `train_and_evaluate(config, workdir)` (the `python -m isf_jax.train`
command is its command line). The step itself is `isf_jax.train_step`."""

from isf_jax.training.loop import NonFiniteLossError, train_and_evaluate

__all__ = ["NonFiniteLossError", "train_and_evaluate"]
