"""Score a trained ISF (and the InterFaceGAN baseline) with the paper's metrics, in one command.

  python -m isf_jax.evaluate --config configs/demo.py --workdir demo_out
  python -m isf_jax.evaluate --config configs/ffhq.py --workdir runs/ffhq \\
      [--isf DIR] [--generator DIR] [--fid_reference STATS.npz|IMAGE_DIR] [--classifier A=PKL]
  python -m isf_jax.evaluate --config configs/ffhq_sg1.py --workdir runs/ffhq_sg1 \\
      --boundary age=stylegan_ffhq_age_w_boundary.npy ...   (InterFaceGAN's released files)

Protocol (paper IV and SI A-A; the official `eval/*.py`, minus their bugs: docs/evaluation.md):
every one of the first `--num_test` (1000) held-out test codes is translated with each attribute
set to 1 and to 0 (the other labels kept); per attribute and direction:
  FID      Inception pool3 statistics of the translations vs a reference set (per attribute,
           both directions pooled, as `cal_fid.py`; `--nofid` skips it);
  LPIPS    diversity: `--diversity_samples` (10) translations per input, mean LPIPS-Alex over
           pairs i < j;
  FRS      cosine similarity of ArcFace embeddings, source vs translation;
  Acc      the classifier reads the requested value (also over the codes whose label changes);
  PPL      StyleGAN PPL along the edit path w -> w' (eps 1e-4, face crop, LPIPS-VGG, 1-99
           percentile filtering);
  PIR      on `--num_frames` (20) frames from w to w': (max - min step LPIPS) / (end-to-end + 1e-6).
Writes `eval/results.json` and `eval/results.md` (Table I and II layout) under --workdir (or
--out). Each (method, attribute, direction) is saved atomically to `eval/partial/` when done and
skipped on a rerun with the same protocol, so an interrupted run resumes.

`--invert encoder|optimize|encoder+optimize [--encoder DIR]` also scores the methods on
inverted codes: the first `--invert_codes` test codes are rendered with fresh noise (the
"photos"), inverted, and edited; accuracy and content LPIPS to the photo are written beside
those of the sampled codes to `eval/inverted.{json,md}` (isf_jax.evaluation.inverted).

In a built-in world (generator "faces" or "statistics") the world's classifier stands in for
the attribute networks and Inception and ArcFace have random weights (marked in the table;
`--metric_weights real` loads converted ones): FID and FRS test the machinery, not quality.
"""

from __future__ import annotations

import sys
from pathlib import Path

from absl import app, flags, logging
from ml_collections import config_flags

from isf_jax.cache import enable_compilation_cache
from isf_jax.evaluation import Protocol, evaluate_from_config, markdown
from isf_jax.evaluation.inverted import InversionRequest


def _split_assignment(text: str, flag: str = "--classifier") -> tuple[str, str]:
  if text == "none" and flag == "--classifier":
    return "none", "none"
  name, sep, path = text.partition("=")
  if not sep or not name or not path:
    alternative = " (or none)" if flag == "--classifier" else ""
    raise ValueError(f"{flag} takes NAME=PATH{alternative}, got {text!r}")
  return name, path


def main(argv):
  del argv
  enable_compilation_cache()
  f = flags.FLAGS
  if not f["verbosity"].present:
    logging.set_verbosity(logging.WARNING)  # orbax and TFDS log every read at INFO
  protocol = Protocol(
    num_test=f.num_test,
    diversity_inputs=f.diversity_inputs,
    diversity_samples=f.diversity_samples,
    num_frames=f.num_frames,
    ppl_crop=f.ppl_crop,
    batch_size=f.batch_size,
    seed=f.seed,
  )
  try:
    classifiers = dict(_split_assignment(c) for c in f.classifier)
    boundaries = dict(_split_assignment(b, "--boundary") for b in f.boundary)
    inverted = None
    if f.invert != "none":
      inverted = InversionRequest(f.invert, f.encoder, f.invert_steps, f.invert_codes)
    results = evaluate_from_config(
      f.config, f.workdir, isf=f.isf, generator=f.generator, out=f.out,
      methods=tuple(f.methods), protocol=protocol, metric_weights=f.metric_weights,
      inception_variant=f.inception_variant, fid_reference=f.fid_reference,
      num_fid_reference=f.num_fid_reference, classifiers=classifiers,
      invert=f.classifier_invert, interfacegan_alpha=f.interfacegan_alpha, boundaries=boundaries,
      attributes=f.attributes or None, fid=f.fid, inverted=inverted,
    )  # fmt: skip
  except (FileNotFoundError, ValueError) as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)
  print(markdown(results))
  if inverted is not None:
    print((Path(f.out or Path(f.workdir) / "eval") / "inverted.md").read_text())


def _define_flags():
  config_flags.DEFINE_config_file("config", None, "training config file", lock_config=True)
  flags.DEFINE_string("workdir", None, "the training run's directory")
  flags.DEFINE_string("isf", None, "ISF checkpoint directory (default: WORKDIR/isf_ema)")
  flags.DEFINE_string("generator", None, "generator checkpoint (default: the config's)")
  flags.DEFINE_string("out", None, "output directory (default: WORKDIR/eval)")
  flags.DEFINE_list("methods", ["isf", "interfacegan"], "methods to score")
  flags.DEFINE_list("attributes", [], "only these attributes (default: all)")
  flags.DEFINE_integer("num_test", Protocol.num_test, "held-out test codes")
  flags.DEFINE_integer(
    "diversity_inputs", Protocol.diversity_inputs, "inputs with diversity samples"
  )
  flags.DEFINE_integer("diversity_samples", Protocol.diversity_samples, "samples per input")
  flags.DEFINE_integer("num_frames", Protocol.num_frames, "interpolation frames for PIR (0: none)")
  flags.DEFINE_bool("ppl_crop", Protocol.ppl_crop, "StyleGAN's face crop for PPL")
  flags.DEFINE_integer("batch_size", Protocol.batch_size, "codes per device batch")
  flags.DEFINE_integer("seed", Protocol.seed, "seed of the ISF noise and PPL points")
  flags.DEFINE_string("metric_weights", "auto", "auto (random in a built-in world), real or random")
  flags.DEFINE_enum("inception_variant", "pytorch_fid", ["pytorch_fid", "torchvision"], "FID net")
  flags.DEFINE_string("fid_reference", "", "STATS.npz (mu, sigma) or an image directory "
                      "(default: generator renders of training codes)")  # fmt: skip
  flags.DEFINE_integer("num_fid_reference", 5000, "training codes rendered for the FID reference")
  flags.DEFINE_multi_string("classifier", [], "NAME=PATH of a converted attribute classifier")
  flags.DEFINE_list(
    "classifier_invert", None, "attributes read as 1 - [p > 0.5] (default: all but age, official)"
  )
  flags.DEFINE_bool("fid", True, "compute FID (--nofid: skip Inception and the reference set)")
  flags.DEFINE_float("interfacegan_alpha", None, "InterFaceGAN edit strength (default 3.0)")
  flags.DEFINE_multi_string(
    "boundary",
    [],
    "ATTRIBUTE=PATH of an InterFaceGAN boundary .npy ([1, C]) for the baseline "
    "(default: trained on the training split)",
  )
  flags.DEFINE_enum(
    "invert",
    "none",
    ["none", "encoder", "optimize", "encoder+optimize"],
    "also score edits of inverted test codes (photos rendered with fresh noise)",
  )
  flags.DEFINE_string("encoder", None, "e4e encoder directory for --invert encoder modes")
  flags.DEFINE_integer("invert_steps", 100, "projector steps of --invert (encoder+)optimize")
  flags.DEFINE_integer("invert_codes", 64, "test codes inverted for --invert")
  flags.mark_flags_as_required(["config", "workdir"])


if __name__ == "__main__":
  _define_flags()
  app.run(main)
