"""Data parallelism: a one-axis device mesh; parameters replicated, batches split on "data"."""

from __future__ import annotations

import jax
from jax.sharding import AxisType, NamedSharding, PartitionSpec


def data_mesh(devices=None) -> jax.sharding.Mesh:
  """A ("data",) mesh over `devices` (default: all). Auto axis types, so the step function is
  written for one device and XLA inserts the cross-device reductions."""
  devices = jax.devices() if devices is None else devices
  return jax.make_mesh((len(devices),), ("data",), axis_types=(AxisType.Auto,), devices=devices)


def replicated(mesh) -> NamedSharding:
  return NamedSharding(mesh, PartitionSpec())


def batch_sharded(mesh) -> NamedSharding:
  return NamedSharding(mesh, PartitionSpec("data"))
