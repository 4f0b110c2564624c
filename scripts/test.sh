#!/usr/bin/env bash
# The test suite (fast unit tests, parity tests against golden fixtures, smoke runs).
# Two pytest workers: most tests are dominated by XLA compilation, which is single-threaded.
source "$(dirname "$0")/venv.sh" dev
ruff check .
python -m pytest -n 2 --dist worksteal "$@"
