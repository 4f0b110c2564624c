"""Feature statistics and the Frechet distance, in float64 on the host as pytorch-fid 0.3.0.

FID = |mu1 - mu2|^2 + tr(sigma1) + tr(sigma2) - 2 tr(sqrtm(sigma1 sigma2)). Method "sqrtm"
is pytorch-fid's: if the matrix square root is not finite, 1e-6 * I is added to both
covariances and it is taken again; a complex result whose diagonal has an imaginary part
above 1e-3 is an error, smaller imaginary parts are dropped. Method "eigh" takes the same
trace from eigenvalues: sigma1 sigma2 has the eigenvalues of the symmetric PSD matrix
s1 sigma2 s1 (s1 = sigma1^1/2), so tr sqrtm(sigma1 sigma2) = sum sqrt(eigenvalues); two
symmetric eigendecompositions instead of a Schur-based square root (seconds rather than
minutes for 2048-d, rank-deficient covariances on a small CPU; no offset retry needed).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

SQRTM_OFFSET = 1e-6
MAX_IMAGINARY = 1e-3


def feature_statistics(features) -> tuple[np.ndarray, np.ndarray]:
  """[N, D] features -> (mean [D], covariance [D, D]) in float64 (`np.cov(rowvar=False)`)."""
  features = np.asarray(features, np.float64)
  if features.ndim != 2 or features.shape[0] < 2:
    raise ValueError(f"need features [N >= 2, D], got shape {features.shape}")
  return features.mean(axis=0), np.cov(features, rowvar=False)


FID_METHODS = ("sqrtm", "eigh")


def frechet_distance(mu1, sigma1, mu2, sigma2, method: str = "sqrtm") -> float:
  mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
  sigma1 = np.atleast_2d(np.asarray(sigma1, np.float64))
  sigma2 = np.atleast_2d(np.asarray(sigma2, np.float64))
  if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != mu1.shape * 2:
    raise ValueError(
      f"statistics do not match: mu {mu1.shape} vs {mu2.shape}, sigma {sigma1.shape} vs "
      f"{sigma2.shape}"
    )
  if method not in FID_METHODS:
    raise ValueError(f"unknown FID method {method!r}; choose one of {FID_METHODS}")
  diff = mu1 - mu2
  base = diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2)
  if method == "eigh":
    return float(base - 2 * _trace_sqrt_product(sigma1, sigma2))
  covmean = scipy.linalg.sqrtm(sigma1.dot(sigma2))
  if not np.isfinite(covmean).all():
    offset = np.eye(sigma1.shape[0]) * SQRTM_OFFSET
    covmean = scipy.linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
  if np.iscomplexobj(covmean):
    largest = np.max(np.abs(covmean.imag))
    if not np.allclose(np.diagonal(covmean).imag, 0, atol=MAX_IMAGINARY):
      raise ValueError(f"matrix square root has an imaginary component of {largest}")
    covmean = covmean.real
  return float(base - 2 * np.trace(covmean))


def _trace_sqrt_product(sigma1, sigma2) -> float:
  """tr sqrtm(sigma1 sigma2) for symmetric PSD sigma1, sigma2."""
  w, v = np.linalg.eigh(sigma1)
  s1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
  m = s1 @ sigma2 @ s1
  eigenvalues = np.linalg.eigvalsh((m + m.T) / 2)
  return float(np.sqrt(np.clip(eigenvalues, 0, None)).sum())
