"""orbax checkpoints of a run: the train state (parameters, optimiser states, EMA, step, PRNG
key) and every process's input position, so a resumed run equals an uninterrupted one.
Saving is asynchronous; `keep` bounds how many are kept."""

from __future__ import annotations

from pathlib import Path

import jax


class RunCheckpoints:
  def __init__(self, directory: Path, keep: int):
    import orbax.checkpoint as ocp

    self._ocp = ocp
    self.manager = ocp.CheckpointManager(
      Path(directory).absolute(),
      options=ocp.CheckpointManagerOptions(max_to_keep=keep, enable_async_checkpointing=True),
      item_names=("state", "data"),
    )

  def restore_latest(self, state, train_iter, sharding):
    """The latest saved state (placed with `sharding`), moving `train_iter` to its position;
    `state` unchanged when there is none."""
    step = self.manager.latest_step()
    if step is None:
      return state
    ocp = self._ocp
    abstract = jax.tree.map(
      lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=sharding), state
    )
    restored = self.manager.restore(
      step,
      args=ocp.args.Composite(
        state=ocp.args.StandardRestore(abstract), data=ocp.args.JsonRestore()
      ),
    )
    train_iter.set_state(restored["data"][_process_key()])
    return restored["state"]

  def save(self, step: int, state, train_iter) -> None:
    ocp = self._ocp
    self.manager.save(
      step,
      args=ocp.args.Composite(
        state=ocp.args.StandardSave(state),
        data=ocp.args.JsonSave({_process_key(): train_iter.get_state()}),
      ),
    )

  def close(self) -> None:
    self.manager.wait_until_finished()
    self.manager.close()


def _process_key() -> str:
  return f"process_{jax.process_index()}"
