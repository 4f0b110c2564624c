"""Checkpoint converters: foreign formats in, the project's orbax checkpoints out.

Nothing here imports torch, TensorFlow or code stored inside a checkpoint: pickles are
read with an allowlist unpickler (`convert.safe_pickle`).
"""
