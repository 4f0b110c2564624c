"""The encoder against the projector on held-out renders (`data.held_out_renders`: codes and
noise maps training never drew), each photo inverted by `isf_jax.invert.invert`:

  w_avg                    no inversion: the photo's distance to G(w_avg), the floor to beat
  encoder                  one forward pass
  optimize (S steps)       the projector from w_avg, for each S in eval.projector_steps
  encoder + N steps        the encoder's W+ refined by N projector steps (the projector's
                           refinement settings, `inversion.REFINE_SETTINGS`), for each N in
                           eval.refine_steps

Per method: mean reconstruction LPIPS v0.1 (eval.lpips_net, the projector's own distance),
mean PSNR, and the median wall time per photo in ms (the first photo, which pays
compilation, left out). The goals of the encoder's design are checked on the rows:
the encoder at least as good as 100 projector steps (LPIPS) in at most 1/50 of their time,
and encoder + refinement better than the longest projection.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from isf_jax import inversion
from isf_jax.encoder_training.data import held_out_renders
from isf_jax.losses import box_downsample


def compare_inversions(generator_config, generator_variables, encoder, eval_config) -> list[dict]:
  """Rows {"method", "mode", "steps", "lpips", "psnr", "ms_per_image"} in the order above."""
  from isf_jax import invert
  from isf_jax.lpips.checkpoint import load_lpips

  _, photos = held_out_renders(
    generator_config, generator_variables, eval_config.num_images, eval_config.seed,
    eval_config.psi,
  )  # fmt: skip
  lpips = load_lpips(eval_config.lpips_net, "0.1", check_range=False)
  rows = [_w_avg_row(generator_config, generator_variables, photos, lpips)]
  runs = [("encoder", "encoder", 1)]
  runs += [(f"optimize ({s} steps)", "optimize", s) for s in eval_config.projector_steps]
  runs += [(f"encoder + {s} steps", "encoder+optimize", s) for s in eval_config.refine_steps]
  for name, mode, steps in runs:
    result = invert.invert(
      photos, mode, generator_config, generator_variables, encoder, steps=steps,
      lpips_net=eval_config.lpips_net, lpips=lpips, seed=eval_config.seed,
      progress=True,
    )  # fmt: skip
    warm = result.seconds[1:] if len(photos) > 1 else result.seconds  # [0] pays compilation
    rows.append({
      "method": name,
      "mode": mode,
      "steps": result.steps,
      "lpips": float(result.lpips.mean()),
      "psnr": float(result.psnr.mean()),
      "ms_per_image": 1000 * float(np.median(warm)),
    })  # fmt: skip
  return rows


def _w_avg_row(generator_config, generator_variables, photos, lpips) -> dict:
  from isf_jax.generators import generator_module

  generator, (lpips_model, lpips_variables) = generator_module(generator_config), lpips
  size = min(generator_config.resolution, inversion.LPIPS_SIZE)
  w_avg = generator_variables["buffers"]["mapping"]["w_avg"]

  @jax.jit
  def distances(photos):
    wp = jnp.broadcast_to(w_avg, (len(photos), generator_config.num_ws, len(w_avg)))
    image = jnp.clip(generator.apply(generator_variables, wp, method="synthesize"), -1, 1)
    small = (box_downsample(image, size), box_downsample(photos, size))
    return image, lpips_model.apply(lpips_variables, *small)

  rendered, lpips_values = distances(jnp.asarray(photos))
  psnrs = [inversion.psnr(np.asarray(r), p) for r, p in zip(rendered, photos, strict=True)]
  return {"method": "w_avg (no inversion)", "mode": "none", "steps": 0,
          "lpips": float(np.mean(lpips_values)), "psnr": float(np.mean(psnrs)),
          "ms_per_image": 0.0}  # fmt: skip


def goals(rows: list[dict]) -> dict:
  """{goal: met?} for the rows of `compare_inversions` (absent when a row is missing)."""
  by_method = {row["method"]: row for row in rows}
  encoder = by_method.get("encoder")
  short = by_method.get("optimize (100 steps)")
  projections = [row for row in rows if row["mode"] == "optimize"]
  refined = [row for row in rows if row["mode"] == "encoder+optimize"]
  met = {}
  if encoder and short:
    met["encoder LPIPS <= 100 projector steps'"] = encoder["lpips"] <= short["lpips"]
    met["encoder time <= 1/50 of 100 projector steps'"] = (
      encoder["ms_per_image"] * 50 <= short["ms_per_image"]
    )
  if projections:
    longest = max(projections, key=lambda row: row["steps"])
    for row in refined:
      met[f"{row['method']} LPIPS < {longest['method']}'s"] = row["lpips"] < longest["lpips"]
  return met


def markdown_table(rows: list[dict], eval_config) -> str:
  lines = [
    f"Held-out renders: {eval_config.num_images} photos (seed {eval_config.seed}, psi "
    f"{eval_config.psi}, fresh noise); LPIPS-{eval_config.lpips_net} v0.1.",
    "",
    "| method | LPIPS | PSNR (dB) | ms / image |",
    "|---|---:|---:|---:|",
  ]
  for row in rows:
    ms = f"{row['ms_per_image']:.1f}" if row["mode"] != "none" else "-"
    lines.append(f"| {row['method']} | {row['lpips']:.4f} | {row['psnr']:.2f} | {ms} |")
  lines.append("")
  for goal, met in goals(rows).items():
    lines.append(f"- {goal}: {'met' if met else 'NOT met'}")
  return "\n".join(lines) + "\n"
