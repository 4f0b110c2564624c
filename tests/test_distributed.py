"""Two processes on localhost (jax.distributed, one CPU device each) train exactly like one."""

import os
import socket
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
  """
  import sys
  import jax, numpy as np
  process_id, num_processes, port = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
  if num_processes > 1:
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(f"localhost:{port}", num_processes, process_id)
  from tests.helpers.tiny import tiny_setup, tiny_batch
  from isf_jax import sharding, train_step

  nets, frozen, state = tiny_setup()
  mesh = sharding.data_mesh()
  replicated, sharded = sharding.replicated(mesh), sharding.batch_sharded(mesh)
  step = train_step.jit_train_step(nets, mesh)
  state = jax.device_put(state, replicated)
  frozen = jax.device_put(frozen, replicated)
  for i in range(3):
    batch = tiny_batch(i)
    local = {k: np.array_split(v, num_processes)[process_id] for k, v in batch.items()}
    glob = {k: jax.make_array_from_process_local_data(sharded, v) for k, v in local.items()}
    state, _ = step(state, frozen, glob)
  leaves = jax.tree.leaves((state.isf_params, state.d_params))
  values = np.concatenate([np.asarray(x.addressable_data(0)).ravel() for x in leaves])
  np.save(sys.argv[4], values)
  """
)


def _free_port():
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_equal_one(tmp_path):
  import numpy as np

  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  env = dict(os.environ, JAX_PLATFORMS="cpu")
  env.pop("XLA_FLAGS", None)
  port = str(_free_port())
  run = lambda pid, n, out: subprocess.Popen(  # noqa: E731
    [sys.executable, "-c", SCRIPT, str(pid), str(n), port, str(out)],
    cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
  )  # fmt: skip
  procs = [run(0, 2, tmp_path / "p0.npy"), run(1, 2, tmp_path / "p1.npy")]
  for p in procs:
    _, err = p.communicate(timeout=900)
    assert p.returncode == 0, err[-3000:]
  single = run(0, 1, tmp_path / "single.npy")
  _, err = single.communicate(timeout=900)
  assert single.returncode == 0, err[-3000:]
  a, b, c = (np.load(tmp_path / f) for f in ("p0.npy", "p1.npy", "single.npy"))
  np.testing.assert_array_equal(a, b)
  np.testing.assert_allclose(a, c, rtol=0, atol=1e-5)
