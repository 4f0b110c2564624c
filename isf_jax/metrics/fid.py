"""Feature statistics and the Frechet distance, in float64 on the host as pytorch-fid 0.3.0.

FID = |mu1 - mu2|^2 + tr(sigma1) + tr(sigma2) - 2 tr(sqrtm(sigma1 sigma2)). As in
pytorch-fid: if the matrix square root is not finite, 1e-6 * I is added to both
covariances and it is taken again; a complex result whose diagonal has an imaginary part
above 1e-3 is an error, smaller imaginary parts are dropped.
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


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
  mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
  sigma1 = np.atleast_2d(np.asarray(sigma1, np.float64))
  sigma2 = np.atleast_2d(np.asarray(sigma2, np.float64))
  if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != mu1.shape * 2:
    raise ValueError(
      f"statistics do not match: mu {mu1.shape} vs {mu2.shape}, sigma {sigma1.shape} vs "
      f"{sigma2.shape}"
    )
  diff = mu1 - mu2
  covmean = scipy.linalg.sqrtm(sigma1.dot(sigma2))
  if not np.isfinite(covmean).all():
    offset = np.eye(sigma1.shape[0]) * SQRTM_OFFSET
    covmean = scipy.linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
  if np.iscomplexobj(covmean):
    largest = np.max(np.abs(covmean.imag))
    if not np.allclose(np.diagonal(covmean).imag, 0, atol=MAX_IMAGINARY):
      raise ValueError(f"matrix square root has an imaginary component of {largest}")
    covmean = covmean.real
  return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))
