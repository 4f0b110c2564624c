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


def _pct(value) -> str:
  return "n/a" if value is None else f"{value:.1%}"


def training_markdown(summary: dict, attributes, protocol, sizes=()) -> str:
  """The trainer's end-of-run table of the "eval/..." numbers of `end_of_run`: the ISF and,
  when measured, InterFaceGAN ("eval/interfacegan/...")."""
  ifg = "eval/interfacegan/accuracy_mean" in summary
  methods = [("ISF", "eval/")] + [("InterFaceGAN", "eval/interfacegan/")] * ifg
  head = " | ".join(f"{m} {what}" for what in ("accuracy", "kept") for m, _ in methods)
  lines = [
    f"{protocol.num_test} held-out codes, each attribute set to 1 and to 0 (the others asked to "
    "keep the source's labels). Accuracy: the classifier reads the requested value; kept: the "
    "share of the other attributes that keep the source's label (EMA ISF):",
    "",
    f"| attribute | {head} | identity mapping |",
    "| --- |" + " --- |" * (2 * len(methods) + 1),
  ]
  for name in attributes + ["mean"]:
    key = f"accuracy/{name}" if name != "mean" else "accuracy_mean"
    kept = f"preservation/{name}" if name != "mean" else "preservation"
    cells = [_pct(summary.get(p + key)) for _, p in methods]
    cells += [_pct(summary.get(p + kept)) for _, p in methods]
    identity = _pct(summary.get(f"eval/identity_{key}"))
    row = f"| {name} | " + " | ".join(cells) + f" | {identity} |"
    lines.append(row if name != "mean" else row.replace("| mean |", "| **mean** |"))
  if sizes:
    head = " | ".join(f"{m} {what}" for what in ("all reached", "kept", "content LPIPS")
                      for m, _ in methods)  # fmt: skip
    lines += [
      "",
      "Several attributes at once: per code, that many attributes drawn at random, each asked "
      "to flip; all reached: every asked attribute took its new value:",
      "",
      f"| attributes | {head} |",
      "| --- |" + " --- |" * (3 * len(methods)),
    ]
    for size in sizes:
      cells = [_pct(summary.get(f"{p}joint_acc/{size}_attributes")) for _, p in methods]
      cells += [_pct(summary.get(f"{p}preservation/{size}_attributes")) for _, p in methods]
      cells += [f"{summary[f'{p}content_lpips/{size}_attributes']:.4f}" for _, p in methods]
      lines.append(f"| {size} | " + " | ".join(cells) + " |")
  lines += [
    "",
    "content LPIPS(source, translated), one attribute: "
    + ", ".join(f"{m} {summary[p + 'content_lpips']:.4f}" for m, p in methods)
    + f"; diversity (mean LPIPS over pairs of {protocol.diversity_samples} samples, first "
    f"{protocol.diversity_inputs} codes): ISF {summary['eval/diversity_lpips']:.4f}"
    + (" (InterFaceGAN is deterministic: 0)" if ifg else ""),
  ]
  return "\n".join(lines) + "\n"
