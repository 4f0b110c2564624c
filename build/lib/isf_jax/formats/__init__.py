"""Readers of foreign checkpoint formats: a file in, (config, variables) out; they never parse
arguments and never write. Pickles are read with an allowlist unpickler (`safe_pickle`): no
torch, no TensorFlow, no code stored in a checkpoint is ever run; `tables` holds the
declarative rename rules every reader uses."""
