#!/usr/bin/env bash
# The test suite (fast unit tests, parity tests against golden fixtures, smoke runs).
source "$(dirname "$0")/venv.sh" dev
ruff check .
python -m pytest "$@"
