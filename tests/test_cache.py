"""The commands' persistent compilation cache: a second run compiles nothing."""

import json
import os
import subprocess
import sys

# A command's main in miniature: turn the cache on, compile two programs, report the cache's
# hits and misses (jax.monitoring events) as JSON.
PROBE = """
import collections, json
from jax import monitoring
events = collections.Counter()
monitoring.register_event_listener(lambda name, **kw: events.update([name.rsplit('/', 1)[-1]]))
from isf_jax.cache import enable_compilation_cache
print(json.dumps({"dir": str(enable_compilation_cache()), **events}), flush=True)
import jax, jax.numpy as jnp
jax.block_until_ready(jax.jit(lambda x: jnp.sin(x) * 2)(jnp.ones(3)))
jax.block_until_ready(jax.jit(lambda x: x @ x.T)(jnp.ones((4, 4))))
print(json.dumps(dict(events)))
"""


def _probe(cache, **env):
  env = dict(os.environ, ISF_JAX_CACHE=str(cache), JAX_PLATFORMS="cpu", **env)
  out = subprocess.run(
    [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True
  )
  first, last = out.stdout.strip().splitlines()
  return json.loads(first), json.loads(last)


def test_second_run_hits_the_cache(tmp_path):
  start, first = _probe(tmp_path)
  assert start["dir"] == str(tmp_path / "xla")
  assert first.get("cache_misses", 0) >= 2 and not first.get("cache_hits")
  assert len(list((tmp_path / "xla").iterdir())) >= 2
  _, second = _probe(tmp_path)
  assert second.get("cache_hits", 0) >= 2 and not second.get("cache_misses")


def test_cache_can_be_turned_off(tmp_path):
  start, events = _probe(tmp_path, ISF_JAX_COMPILATION_CACHE="0")
  assert start["dir"] == "None"
  assert not events.get("cache_hits") and not events.get("cache_misses")
  assert not (tmp_path / "xla").exists()
