#!/usr/bin/env bash
# The test suite (fast unit tests, parity tests against golden fixtures, smoke runs).
# Two pytest workers: most tests are dominated by XLA compilation, which is single-threaded.
source "$(dirname "$0")/venv.sh" dev
# The web editor's browser test drives Debian's chromium headless (no browser download):
# installed when missing, as root or (in CI) through sudo; quiet, and a no-op once there.
if ! command -v chromium > /dev/null; then
  if [ "$(id -u)" = 0 ] || [ "${CI:-}" = true ]; then
    as_root=$([ "$(id -u)" = 0 ] || echo "sudo -n")
    $as_root apt-get update -qq
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends chromium > /dev/null
  else
    echo "scripts/test.sh: no chromium (apt-get install chromium): the browser test will fail" >&2
  fi
fi
ruff check .
python -m pytest -n 2 --dist worksteal "$@"
