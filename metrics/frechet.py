"""Fréchet distance between Gaussians fitted to feature sets, in float64, without scipy's sqrtm.

d² = |μ1 − μ2|² + tr Σ1 + tr Σ2 − 2 tr √(Σ1 Σ2).

The trace term uses a symmetric route: Σ1 Σ2 is similar to M = Σ1^½ Σ2 Σ1^½ (M = Σ1^-½ (Σ1 Σ2) Σ1^½
when Σ1 is invertible, and by continuity otherwise), so both have the same eigenvalues and
tr √(Σ1 Σ2) = Σ √λ(M). When Σ1 is positive definite, M = Lᵀ Σ2 L with the Cholesky factor Σ1 = L Lᵀ is
similar too (Lᵀ (Σ1 Σ2) L⁻ᵀ) and costs a factorisation instead of an eigendecomposition. M is symmetric
positive semi-definite, so `eigvalsh` applies: it is backward stable and never returns complex values,
unlike scipy's Schur-based `sqrtm` of the non-symmetric product (which needs the eps retry and
imaginary-part check of pytorch-fid, and takes minutes at 2048-d on some CPUs, pytorch-fid#96).

Eigenvalues that are exactly zero in theory (rank-deficient covariances: fewer samples than
dimensions, constant features) come out of `eigh` as ±(a few ulp × ‖M‖). Their square root would be
NaN for the negative ones (the failure of torch-fidelity#46); they are clipped to zero. The error
this introduces in the trace is at most Σ √|λ_clipped| ≤ D·√(ε‖M‖), a worst case; measured on
rank-deficient 256- and 2048-d sets it was 2–4e-8 relative (docs/metrics.md).

Rounding also leaves d² itself a little off its true value, so identical sets came out as −3.6e-15. A distance
within ROUNDING_BOUND × (|μ1 − μ2|² + tr Σ1 + tr Σ2) of zero, either side, is reported as exactly 0. The bound,
1e-6 relative, is 8 times the largest error measured for identical sets (1.3e-7, through the clipped covariance
route at 2048-d from 50 rows; the thin-factor and full-rank routes that the metrics take stay below 1e-13) and
far below any difference a table reports; this computation cannot tell smaller distances from zero anyway. A
larger negative value is returned as computed, so a numerical failure stays visible.

For feature sets with fewer rows than dimensions, `frechet_distance_features` uses the thin factor
A (centred rows / √(N − ddof), Σ = AᵀA) instead: tr √(Σ1 Σ2) is then the nuclear norm of A1 A2ᵀ,
an N1×N2 matrix, computed from its singular values without any clipping. This is both faster (the
bootstrap over few videos) and more accurate than the D×D route on singular covariances.
"""

from __future__ import annotations

import numpy as np

from a2bench.errors import A2BenchError
from a2bench.metrics.base import MissingInput

ROUNDING_BOUND = 1e-6  # relative to |Δμ|² + tr Σ1 + tr Σ2 (module docstring)


def _finite(name: str, array: np.ndarray) -> np.ndarray:
    """float64 copy of an array, refusing NaN and inf (they would silently give a NaN distance)."""
    array = np.asarray(array, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise A2BenchError(f"{name} contains NaN or inf values",
                           fix="check the feature extractor's input (and its weights) for non-finite values")
    return array


def sqrtm_psd(matrix: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric positive semi-definite matrix (eigenvalues clipped at 0)."""
    matrix = _finite("matrix", matrix)
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """tr √(Σ1 Σ2) for covariance matrices, as Σ √λ(M) of a symmetric M similar to Σ1 Σ2 (module docstring):
    M = Lᵀ Σ2 L with Σ1 = L Lᵀ (Cholesky) when Σ1 is positive definite — a factorisation and eigenvalues only,
    about half the work of the eigendecomposition — else M = Σ1^½ Σ2 Σ1^½ with Σ1^½ from eigh."""
    sigma1, sigma2 = _finite("sigma1", sigma1), _finite("sigma2", sigma2)
    try:
        factor = np.linalg.cholesky((sigma1 + sigma1.T) / 2)
    except np.linalg.LinAlgError:  # singular (rank-deficient) Σ1: the eigh route clips its zero eigenvalues
        factor = sqrtm_psd(sigma1)
    middle = factor.T @ sigma2 @ factor
    values = np.linalg.eigvalsh((middle + middle.T) / 2)
    return float(np.sqrt(np.clip(values, 0.0, None)).sum())


def gaussian_stats(features: np.ndarray, ddof: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of feature rows; ddof=1 as np.cov (pytorch-fid, DisCo), ddof=0 as StyleGAN-V."""
    features = _check_features("features", features, ddof)
    return features.mean(axis=0), np.cov(features, rowvar=False, ddof=ddof).reshape(features.shape[1], -1)


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Fréchet distance between N(μ1, Σ1) and N(μ2, Σ2) in float64."""
    mu1, mu2 = _finite("mu1", mu1).ravel(), _finite("mu2", mu2).ravel()
    sigma1, sigma2 = _finite("sigma1", sigma1), _finite("sigma2", sigma2)
    if not (mu1.shape == mu2.shape and sigma1.shape == sigma2.shape == (mu1.size, mu1.size)):
        raise A2BenchError(f"mismatched statistics: means {mu1.shape}/{mu2.shape}, "
                           f"covariances {sigma1.shape}/{sigma2.shape}")
    diff = mu1 - mu2
    scale = diff @ diff + np.trace(sigma1) + np.trace(sigma2)
    return _snap_rounding(scale - 2.0 * trace_sqrt_product(sigma1, sigma2), scale)


def frechet_distance_features(features1: np.ndarray, features2: np.ndarray, ddof: int = 1) -> float:
    """Fréchet distance between Gaussians fitted to two sets of feature rows (N_i, D)."""
    x1, x2 = _check_features("features1", features1, ddof), _check_features("features2", features2, ddof)
    if x1.shape[1] != x2.shape[1]:
        raise A2BenchError(f"feature sets differ in width: {x1.shape[1]} vs {x2.shape[1]}")
    if min(len(x1), len(x2)) >= x1.shape[1]:
        return frechet_distance(*gaussian_stats(x1, ddof), *gaussian_stats(x2, ddof))
    mu1, mu2 = x1.mean(axis=0), x2.mean(axis=0)
    a1 = (x1 - mu1) / np.sqrt(len(x1) - ddof)
    a2 = (x2 - mu2) / np.sqrt(len(x2) - ddof)
    diff = mu1 - mu2
    nuclear = np.linalg.svd(a1 @ a2.T, compute_uv=False).sum()
    scale = diff @ diff + np.sum(a1 * a1) + np.sum(a2 * a2)
    return _snap_rounding(scale - 2.0 * nuclear, scale)


def _snap_rounding(distance: float, scale: float) -> float:
    """0.0 for a distance within the rounding bound of zero (either side), the distance itself otherwise."""
    return 0.0 if abs(distance) <= ROUNDING_BOUND * scale else float(distance)


def _check_features(name: str, features: np.ndarray, ddof: int) -> np.ndarray:
    """A finite float64 (N, D) array with enough rows for a covariance with this ddof."""
    features = _finite(name, features)
    if features.ndim != 2:
        raise A2BenchError(f"{name} must be a 2-D array (rows, dimensions), got shape {features.shape}")
    if len(features) <= ddof:
        raise MissingInput(f"{name} has {len(features)} feature row(s); a covariance needs at least {ddof + 1}",
                           fix="score more videos (or longer ones)")
    return features
