"""Train the faces world's attribute classifiers and measure them on fresh renders.

  python -m isf_jax.train_face_classifiers --out isf_jax/demo/assets/classifiers

Trains on faces seeds [--train-start, + --num-train), evaluates on the disjoint held-out seeds
[--test-start, + --num-test), prints per-attribute accuracy and writes it to OUT/accuracy.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def parse_args(argv=None):
  p = argparse.ArgumentParser(prog="python -m isf_jax.train_face_classifiers", description=__doc__)
  p.add_argument("--out", required=True, help="directory for the XX-name classifier folders")
  p.add_argument("--steps", type=int, default=300)
  p.add_argument("--batch-size", type=int, default=48)
  p.add_argument("--lr", type=float, default=3e-3)
  p.add_argument("--seed", type=int, default=0)
  p.add_argument("--train-start", type=int, default=1_000_000)
  p.add_argument("--num-train", type=int, default=20_000)
  p.add_argument("--test-start", type=int, default=2_000_000)
  p.add_argument("--num-test", type=int, default=4096)
  p.add_argument("--overwrite", action="store_true")
  return p.parse_args(argv)


def main(argv=None) -> int:
  args = parse_args(argv)
  from isf_jax.demo import classifier, faces
  from isf_jax.images import from_uint8

  t0 = time.time()
  train_seeds = np.arange(args.train_start, args.train_start + args.num_train)
  params = classifier.train(train_seeds, args.steps, args.batch_size, args.lr, args.seed)
  classifier.save(args.out, params, overwrite=args.overwrite)
  classifier.load.cache_clear()
  images, labels = faces.render(
    np.arange(args.test_start, args.test_start + args.num_test),
    classifier.ARCHITECTURE["resolution"],
  )
  predicted = np.concatenate(
    [
      classifier.face_labels(from_uint8(images[i : i + 512]), args.out)
      for i in range(0, len(images), 512)
    ]
  )
  accuracy = {
    name: float(np.mean(predicted[:, k] == labels[:, k])) for k, name in enumerate(faces.ATTRIBUTES)
  }
  report = {
    "held_out_seeds": [args.test_start, args.test_start + args.num_test],
    "accuracy": accuracy,
    "train_seconds": round(time.time() - t0),
    "args": vars(args),
  }
  (Path(args.out) / "accuracy.json").write_text(json.dumps(report, indent=2) + "\n")
  for name, acc in accuracy.items():
    print(f"{name:16s} {100 * acc:6.2f}%")
  return 0


if __name__ == "__main__":
  raise SystemExit(main())
