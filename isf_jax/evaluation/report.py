"""Tables of the results: the paper's layout (Tables I and II, then every attribute and
direction) and the trainer's end-of-run table; atomic writes of the result files."""

from __future__ import annotations

import json
from pathlib import Path

from isf_jax.files import atomic_open


def _fmt(value, percent=False, digits=3) -> str:
  if value is None:
    return "n/a"
  return f"{100 * value:.1f}" if percent else f"{value:.{digits}f}"


def markdown(results: dict) -> str:
  methods = results["methods"]
  p = results["protocol"]
  paths = f"PIR on {p['num_frames']} frames from w to w'" if p["num_frames"] else "no PIR"
  lines = [
    "# Evaluation",
    "",
    f"{p['num_test']} held-out test codes, each attribute set to 1 and to 0; diversity over "
    f"{p['diversity_samples']} samples for {min(p['diversity_inputs'], p['num_test'])} inputs "
    f"(pairs i < j); {paths}; PPL: StyleGAN's (eps "
    f"{p['ppl_eps']:g}, {'face crop, ' if p['ppl_crop'] else ''}percentiles 1-99).",
    "",
    "Networks: " + "; ".join(f"{k}: {v}" for k, v in sorted(results["networks"].items())) + ".",
  ]
  if results.get("fid_reference"):
    lines += ["", f"FID reference: {results['fid_reference']}."]
  lines += [
    "",
    "## Table I (mean over attributes)",
    "",
    "| Model | FID | LPIPS | FRS | mAcc (%) |",
    "| --- | --- | --- | --- | --- |",
  ]
  for name, m in methods.items():
    mean = m["mean"]
    lines.append(
      f"| {name} | {_fmt(mean['fid'], digits=2)} | {_fmt(mean['lpips'])} | "
      f"{_fmt(mean['frs'])} | {_fmt(mean['acc'], percent=True)} |"
    )
  lines += ["", "## Table II", "", "| Method | PPL | PIR |", "| --- | --- | --- |"]
  for name, m in methods.items():
    lines.append(f"| {name} | {_fmt(m['mean']['ppl'], digits=2)} | {_fmt(m['mean']['pir'])} |")
  lines += [
    "",
    "## Per attribute and direction",
    "",
    "`to1`/`to0`: the attribute set to 1/0 for every code; `both`: the two pooled (FID of the "
    "pooled translations, as the official `cal_fid.py`). Acc flips: over the codes whose label "
    "changes. Path LPIPS: mean LPIPS-Alex between neighbouring frames (the official `cal_pir.py` "
    '"PPL").',
    "",
    "| Method | Attribute | Direction | FID | LPIPS | FRS | Acc (%) | Acc flips (%) | PPL | PIR "
    "| Path LPIPS |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ]
  for name, m in methods.items():
    for attribute, rows in m["attributes"].items():
      for direction, row in rows.items():
        lines.append(
          f"| {name} | {attribute} | {direction} | {_fmt(row.get('fid'), digits=2)} | "
          f"{_fmt(row.get('lpips'))} | {_fmt(row.get('frs'))} | "
          f"{_fmt(row.get('acc'), percent=True)} | {_fmt(row.get('acc_flipped'), percent=True)} | "
          f"{_fmt(row.get('ppl'), digits=2)} | {_fmt(row.get('pir'))} | "
          f"{_fmt(row.get('path_lpips'), digits=4)} |"
        )
  return "\n".join(lines) + "\n"


def write_text(path: Path, text: str) -> None:
  with atomic_open(path, "w") as f:
    f.write(text)


def write_results(out_dir: Path, results: dict, table: str) -> None:
  """`results.json` (every number) and `results.md` (the table) in out_dir."""
  write_text(out_dir / "results.json", json.dumps(results, indent=2, sort_keys=True))
  write_text(out_dir / "results.md", table)


def training_markdown(summary: dict, attributes, protocol) -> str:
  """The trainer's end-of-run table of the "eval/..." numbers of `end_of_run.summary_metrics`."""
  lines = [
    f"Demo world, {protocol.num_test} held-out codes, each attribute set to 1 and to 0 (EMA ISF):",
    "",
    "| attribute | accuracy | identity mapping |",
    "| --- | --- | --- |",
  ]
  for name in attributes:
    lines.append(
      f"| {name} | {summary[f'eval/accuracy/{name}']:.1%} "
      f"| {summary[f'eval/identity_accuracy/{name}']:.1%} |"
    )
  lines += [
    f"| **mean** | **{summary['eval/accuracy_mean']:.1%}** "
    f"| {summary['eval/identity_accuracy_mean']:.1%} |",
    "",
    f"content LPIPS(source, translated): {summary['eval/content_lpips']:.4f}; "
    f"diversity (mean LPIPS over pairs of {protocol.diversity_samples} samples, first "
    f"{protocol.diversity_inputs} codes): {summary['eval/diversity_lpips']:.4f}",
  ]
  return "\n".join(lines) + "\n"
