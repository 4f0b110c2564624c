#!/usr/bin/env bash
# The main job on the embedded default (no downloads): render a sample grid from the
# deterministic random-weight demo generator. Extra arguments go to isf_jax.generate.
source "$(dirname "$0")/venv.sh" test
python -m isf_jax.generate --ckpt demo --seeds 0-15 --psi 0.7 --out demo_out/grid.png --outdir demo_out/seeds "$@"
