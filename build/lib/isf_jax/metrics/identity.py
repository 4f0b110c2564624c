"""Face Recognition Similarity (FRS, paper eq. 11): cosine similarity of identity embeddings
of the source and the translated image (ArcFace IR-SE50 in the paper)."""

from __future__ import annotations

import numpy as np


def cosine_similarity(a, b, eps: float = 1e-12) -> np.ndarray:
  """Row-wise cosine similarity of [N, D] embeddings -> [N] (the official script takes the
  dot product of already L2-normalised embeddings, which is the same number)."""
  a = np.asarray(a, np.float64)
  b = np.asarray(b, np.float64)
  norms = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
  return np.sum(a * b, axis=-1) / np.maximum(norms, eps)
