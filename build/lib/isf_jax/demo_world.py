"""The demo world's data preparation and evaluation (configs/demo.py).

The latent dataset goes through the same generation code as FFHQ (`isf_jax.data.generate`):
z -> W+ (psi, cutoff) -> image -> attribute scores -> labels. The thresholds are the medians
of a separate calibration sample, so each attribute is balanced and the exact classifier
(`isf_jax.demo.ExactClassifier`) reads exactly the labels the dataset was built with.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from isf_jax import demo, losses
from isf_jax.data import generate
from isf_jax.data.pipeline import attribute_names

CALIBRATION_SEED = 999_999
CALIBRATION_CODES = 2048


def _data_dir(config, workdir) -> Path:
  return Path(config.data.data_dir or Path(workdir) / "data")


def _thresholds_path(config, workdir) -> Path:
  return _data_dir(config, workdir) / f"{config.data.name}_thresholds.json"


def prepare_dataset(config, workdir) -> None:
  """Generate and assemble the demo latent dataset unless it already exists."""
  data_dir = _data_dir(config, workdir)
  try:
    attribute_names(data_dir, config.data.name)
    return
  except (FileNotFoundError, OSError, ValueError):
    pass
  gen_config, variables = demo.demo_generator()
  sample_fn, score_fn = generate.generator_fns(
    gen_config,
    variables,
    demo.attribute_scores,
    psi=config.data.psi,
    cutoff=config.data.cutoff,
    image_size=config.train.img_size,  # stored too, for config.train.source_image="dataset"
  )
  scores, _ = score_fn(sample_fn(CALIBRATION_SEED, CALIBRATION_CODES))
  thresholds = np.median(scores, axis=0)
  chunks = Path(workdir) / "data_chunks"
  for split, num in (("train", config.data.num_train), ("test", config.data.num_test)):
    generate.generate_latents(
      sample_fn, score_fn, num, 512, chunks, seed=config.seed, split=split, thresholds=thresholds
    )
  generate.assemble(chunks, data_dir, config.data.name, list(demo.DEMO_ATTRIBUTES))
  _thresholds_path(config, workdir).write_text(json.dumps(thresholds.tolist()))


def evaluate(config, workdir, nets, state, frozen, test, num_diversity=32, samples=10) -> dict:
  """Held-out accuracy of requested attributes, content LPIPS and diversity (EMA ISF).

  Every test code is translated once per attribute and direction (target attribute set to
  1, then to 0; the others kept), so an identity mapping scores about 50%.
  """
  classifier = demo.ExactClassifier(json.loads(_thresholds_path(config, workdir).read_text()))
  params = state.isf_ema_params
  wp = jnp.asarray(test["wp"])
  labels = jnp.asarray(test["labels"], jnp.float32)
  n = wp.shape[0]
  size = config.train.img_size

  @jax.jit
  def translate(wp, targets, key):
    noise = jax.random.normal(key, (wp.shape[0], config.train.noise_dim))
    wp_t = nets.isf.apply({"params": params}, wp, noise, targets)
    return nets.generator.apply(frozen["generator"], wp_t, noise_mode="const", method="synthesize")

  render = jax.jit(
    lambda wp: nets.generator.apply(
      frozen["generator"], wp, noise_mode="const", method="synthesize"
    )
  )
  lpips = jax.jit(
    lambda a, b: nets.lpips.apply(
      frozen["lpips"], losses.box_downsample(a, size), losses.box_downsample(b, size)
    )
  )
  source = render(wp)
  source_pred = classifier(source)
  names = list(config.data.attributes)
  table, content = {}, []
  for k, name in enumerate(names):
    hits, identity = [], []
    for value in (1.0, 0.0):
      targets = labels.at[:, k].set(value)
      images = translate(wp, targets, jax.random.PRNGKey(2 * k + int(value)))
      hits.append(classifier(images)[:, k] == value)
      identity.append(source_pred[:, k] == value)
      content.append(np.asarray(lpips(source, images)))
    table[name] = {
      "accuracy": float(np.mean(hits)),
      "identity_accuracy": float(np.mean(identity)),
    }
  diversity = []
  m = min(num_diversity, n)
  for k in range(len(names)):
    targets = labels[:m].at[:, k].set(1 - labels[:m, k])
    outs = [
      translate(wp[:m], targets, jax.random.PRNGKey(1000 + 100 * k + s)) for s in range(samples)
    ]
    for i in range(samples):
      for j in range(i + 1, samples):
        diversity.append(np.asarray(lpips(outs[i], outs[j])))
  result = {
    "eval/accuracy_mean": float(np.mean([v["accuracy"] for v in table.values()])),
    "eval/identity_accuracy_mean": float(np.mean([v["identity_accuracy"] for v in table.values()])),
    "eval/content_lpips": float(np.mean(content)),
    "eval/diversity_lpips": float(np.mean(diversity)),
  }
  for name, row in table.items():
    result[f"eval/accuracy/{name}"] = row["accuracy"]
  markdown = _markdown(table, result, n)
  if jax.process_index() == 0:
    Path(workdir, "eval.json").write_text(json.dumps(result, indent=2))
    Path(workdir, "eval.md").write_text(markdown)
    print(markdown, file=sys.stderr)
  return result


def _markdown(table, result, n) -> str:
  lines = [
    f"Demo world, {n} held-out codes, each attribute set to 1 and to 0 (EMA ISF):",
    "",
    "| attribute | accuracy | identity mapping |",
    "| --- | --- | --- |",
  ]
  for name, row in table.items():
    lines.append(f"| {name} | {row['accuracy']:.1%} | {row['identity_accuracy']:.1%} |")
  lines += [
    f"| **mean** | **{result['eval/accuracy_mean']:.1%}** "
    f"| {result['eval/identity_accuracy_mean']:.1%} |",
    "",
    f"content LPIPS(source, translated): {result['eval/content_lpips']:.4f}; "
    f"diversity (mean pairwise LPIPS, 10 samples): {result['eval/diversity_lpips']:.4f}",
  ]
  return "\n".join(lines) + "\n"
