"""What an evaluation measures: its sizes (`Protocol`), the metric networks, the editors."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from isf_jax.metrics import ppl

DIRECTIONS = (1, 0)  # target value of the edited attribute
LPIPS_SIZE = 256  # the official scripts resize to 256 before LPIPS


@dataclasses.dataclass(frozen=True)
class Protocol:
  """Sizes of the evaluation; defaults are the paper's."""

  num_test: int = 1000
  diversity_inputs: int = 1000  # inputs (of the num_test) with diversity samples
  diversity_samples: int = 10
  num_frames: int = 20  # 0: no interpolation paths (no PIR, no path LPIPS)
  ppl_eps: float = ppl.PPL_EPS
  ppl_crop: bool = True  # StyleGAN's face crop
  batch_size: int = 16
  seed: int = 0

  def check(self, available: int) -> None:
    if available < self.num_test:
      raise ValueError(
        f"the test split has {available} codes but the protocol needs --num_test="
        f"{self.num_test}; generate more test codes or pass --num_test={available}"
      )
    if self.num_test < 2 or self.batch_size < 1:
      raise ValueError(f"need num_test >= 2 and batch_size >= 1, got {self}")
    if self.diversity_samples < 2:
      raise ValueError(f"--diversity_samples must be at least 2, got {self.diversity_samples}")
    if self.num_frames:
      ppl.interpolation_alphas(self.num_frames)  # validates num_frames


@dataclasses.dataclass(frozen=True)
class MetricNetworks:
  """Image networks of the metrics; each None skips its metric ("n/a" in the table).

  lpips: (a, b) [N, H, W, 3] in [-1, 1] -> [N], LPIPS-Alex (diversity, content, PIR, path
  length). lpips_vgg: the same with VGG (StyleGAN PPL).
  inception: images -> [N, 2048] (FID); arcface: images -> [N, 512] (FRS);
  classifier: images -> [N, K] binary labels in the dataset's convention (accuracy).
  notes: what each network is, e.g. {"inception": "pytorch_fid, random weights"}.
  """

  lpips: Callable
  lpips_vgg: Callable | None = None
  inception: Callable | None = None
  arcface: Callable | None = None
  classifier: Callable | None = None
  notes: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Method:
  """An editor: edit(wp [B, L, C], targets [B, K], asked [B, K], key) -> wp' (jittable);
  asked is 1 for the attributes the edit is asked to set, 0 for those to keep."""

  name: str
  edit: Callable
  description: str = ""
