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
route at 2048-d from 50 rows; the factor routes that the metrics take stay below 1e-13) and
far below any difference a table reports; this computation cannot tell smaller distances from zero anyway. A
larger negative value is returned as computed, so a numerical failure stays visible.

From feature rows, both covariances are used through factors A (Σ = AᵀA: weighted, centred rows / √(N − ddof),
less the one row centring makes redundant, see `_centred_factor`), never formed when they need not be. With at
most D distinct rows in a set (the bootstrap over videos, few videos), the nonzero eigenvalues of Σ1 Σ2 are
those of G Gᵀ with G = A1 A2ᵀ, a matrix of the row counts' size; otherwise those of Bᵀ B with B = A2 L,
Σ1 = L Lᵀ. Either way one symmetric eigenvalue problem of at most D × D and BLAS-3 products (the SVD of G
gives the same trace at about twice the cost). Row weights (multiplicities) let a bootstrap resample pass
each drawn video's rows once with its count instead of repeating them: the same distance, on the ~63 % of
rows that are distinct, and without the zero eigenvalues that repeated rows would bring.

The linear algebra is written once against the array API (array_api_compat), so the same steps run in numpy
on the host (the default) or in torch float64 on a GPU (`FrechetDistance(device=...)`, for the bootstrap of an
A²Bench-size run, where a CPU core needs seconds per resample). Inputs are always checked on the host.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from array_api_compat import array_namespace, is_numpy_namespace
from array_api_compat import device as array_device

from a2bench.errors import A2BenchError
from a2bench.metrics.base import MissingInput

ROUNDING_BOUND = 1e-6  # relative to |Δμ|² + tr Σ1 + tr Σ2 (module docstring)
THIN_FROM_CROSS = 1.25  # × D: up to this many distinct rows, a resample's G comes from shared cross products


def _finite(name: str, array: np.ndarray) -> np.ndarray:
    """float64 copy of an array, refusing NaN and inf (they would silently give a NaN distance)."""
    array = np.asarray(array, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise A2BenchError(f"{name} contains NaN or inf values",
                           fix="check the feature extractor's input (and its weights) for non-finite values")
    return array


def sqrtm_psd(matrix: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric positive semi-definite matrix (eigenvalues clipped at 0)."""
    return _root_psd(_finite("matrix", matrix))


def _root_psd(matrix: Any) -> Any:
    """`sqrtm_psd` of a checked matrix, numpy or torch."""
    xp = array_namespace(matrix)
    values, vectors = xp.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * xp.sqrt(xp.clip(values, 0.0, None))) @ vectors.T


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """tr √(Σ1 Σ2) for covariance matrices, as Σ √λ(M) of a symmetric M similar to Σ1 Σ2 (module docstring):
    M = Lᵀ Σ2 L with Σ1 = L Lᵀ (Cholesky) when Σ1 is positive definite — a factorisation and eigenvalues only,
    about half the work of the eigendecomposition — else M = Σ1^½ Σ2 Σ1^½ with Σ1^½ from eigh."""
    sigma1, sigma2 = _finite("sigma1", sigma1), _finite("sigma2", sigma2)
    factor = _left_factor(sigma1)
    return _sum_sqrt_eigenvalues(factor.T @ sigma2 @ factor)


def _left_factor(sigma: Any) -> Any:
    """F with Σ = F Fᵀ: the Cholesky factor when Σ is positive definite, else the clipped symmetric root."""
    xp = array_namespace(sigma)
    try:
        return xp.linalg.cholesky((sigma + sigma.T) / 2)
    except _linalg_error(xp):  # singular (rank-deficient) Σ: the eigh route clips its zero eigenvalues
        return _root_psd(sigma)


def _linalg_error(xp: Any) -> type[Exception]:
    """The exception a failed factorisation raises in this array namespace."""
    if is_numpy_namespace(xp):
        return np.linalg.LinAlgError
    import torch

    return torch.linalg.LinAlgError


def _sum_sqrt_eigenvalues(matrix: Any) -> float:
    """Σ √λ of a symmetric positive semi-definite matrix, rounding's tiny negative eigenvalues clipped to 0."""
    xp = array_namespace(matrix)
    values = xp.linalg.eigvalsh((matrix + matrix.T) / 2)
    return float(xp.sum(xp.sqrt(xp.clip(values, 0.0, None))))


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


def frechet_distance_features(features1: np.ndarray, features2: np.ndarray, ddof: int = 1,
                              weights1: np.ndarray | None = None, weights2: np.ndarray | None = None) -> float:
    """Fréchet distance between Gaussians fitted to two sets of feature rows (N_i, D); `weights_i` are row
    multiplicities (the set with each row repeated that many times), all ones when omitted. The thin route
    (module docstring) applies when a set has at most D distinct rows."""
    return FrechetDistance(ddof)(features1, features2, weights1, weights2)


def _weighted_distance(x1: Any, w1: Any, x2: Any, w2: Any, ddof: int) -> float:
    """`frechet_distance_features` of checked rows and weights, numpy or torch (module docstring's routes)."""
    xp = array_namespace(x1, x2)
    (mu1, a1), (mu2, a2) = _centred_factor(x1, w1, ddof), _centred_factor(x2, w2, ddof)
    if min(len(a1), len(a2)) < a1.shape[1]:  # N − 1 rows after centring
        cross = a1 @ a2.T
        trace = _sum_sqrt_eigenvalues(cross @ cross.T if len(a1) <= len(a2) else cross.T @ cross)
    else:
        spread = a2 @ _left_factor(a1.T @ a1)
        trace = _sum_sqrt_eigenvalues(spread.T @ spread)
    diff = mu1 - mu2
    scale = diff @ diff + xp.sum(a1 * a1) + xp.sum(a2 * a2)
    return _snap_rounding(float(scale - 2.0 * trace), float(scale))


def _same_width(x1: np.ndarray, x2: np.ndarray) -> None:
    """Refuse feature sets of different widths (features of different networks or layers)."""
    if x1.shape[1] != x2.shape[1]:
        raise A2BenchError(f"feature sets differ in width: {x1.shape[1]} vs {x2.shape[1]}")


def _weighted_rows(name: str, features: np.ndarray, weights: np.ndarray | None, ddof: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Checked rows and their weights (ones when None): positive, one per row, adding up to more than ddof."""
    if weights is None:
        rows = _check_features(name, features, ddof)
        return rows, np.ones(len(rows))
    rows = _check_features(name, features, -1)
    return rows, _checked_weights(name, weights, len(rows), ddof)


def _checked_rows(name: str, rows: np.ndarray, count: int) -> np.ndarray:
    """Row indices into a set of `count` rows: integers in range, checked on the host (an index out of range on
    a GPU is a device-side assert that ends the process's CUDA use, networks included)."""
    rows = np.asarray(rows)
    if rows.ndim != 1 or rows.dtype.kind not in "iu" or (rows.size and not 0 <= rows.min() <= rows.max() < count):
        raise A2BenchError(f"{name}: row indices must be integers from 0 to {count - 1}")
    return rows


def _checked_weights(name: str, weights: np.ndarray, count: int, ddof: int) -> np.ndarray:
    """float64 row weights: `count` positive numbers adding up to more than ddof."""
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (count,) or not np.all(weights > 0):
        raise A2BenchError(f"{name}: row weights must be {count} positive numbers, got {weights.shape} values")
    if weights.sum() <= ddof:
        raise MissingInput(f"{name} has rows of total weight {weights.sum():g}; a covariance needs more than {ddof}",
                           fix="score more videos (or longer ones)")
    return weights


def _centred_factor(rows: Any, weights: Any, ddof: int) -> tuple[Any, Any]:
    """Weighted mean μ and a factor A of the covariance, Σ = AᵀA, with one row fewer than `rows`.

    √w (x − μ) / √(Σw − ddof) has rank at most N − 1 (√w is orthogonal to its columns): a Householder
    reflection taking √w to the first axis zeroes that row, which is dropped, so the trace routes never see
    the zero eigenvalue centring creates (squared in GGᵀ, it would cost √ε of the largest one)."""
    xp = array_namespace(rows, weights)
    count = xp.sum(weights)
    mean = weights @ rows / count
    root = xp.sqrt(weights)
    return mean, _drop_centring_row((rows - mean) * (root / xp.sqrt(count - ddof))[:, None], root)


def _drop_centring_row(factor: Any, root: Any) -> Any:
    """H·factor without its first row, H the Householder reflection taking √w (`root`) to the first axis: the
    row that √wᵀ·factor = 0 makes zero (up to rounding)."""
    mirror = root / array_namespace(root).sqrt(root @ root)
    mirror[0] += 1.0
    return (factor - mirror[:, None] * ((mirror @ factor) * (2.0 / (mirror @ mirror)))[None, :])[1:]


def _snap_rounding(distance: float, scale: float) -> float:
    """0.0 for a distance within the rounding bound of zero (either side), the distance itself otherwise."""
    return 0.0 if abs(distance) <= ROUNDING_BOUND * scale else float(distance)


def _check_features(name: str, features: np.ndarray, ddof: int) -> np.ndarray:
    """A finite float64 (N, D) array with enough rows for a covariance with this ddof (any rows for −1)."""
    features = _finite(name, features)
    if features.ndim != 2:
        raise A2BenchError(f"{name} must be a 2-D array (rows, dimensions), got shape {features.shape}")
    if len(features) <= ddof:
        raise MissingInput(f"{name} has {len(features)} feature row(s); a covariance needs at least {ddof + 1}",
                           fix="score more videos (or longer ones)")
    return features


@dataclass(frozen=True)
class FrechetDistance:
    """The Fréchet distance under one covariance convention, as the distribution metrics and their bootstrap
    use it: of two row sets (with row weights), and of weighted subsets of two fixed sets (`resampled`).
    `device` None computes in numpy on the host (resamples can run in worker processes); a torch device
    ("cuda") computes the same steps in torch float64 there, in the calling process, from inputs checked on the
    host."""

    ddof: int = 1
    device: str | None = None

    def __call__(self, features1: np.ndarray, features2: np.ndarray, weights1: np.ndarray | None = None,
                 weights2: np.ndarray | None = None) -> float:
        (x1, w1), (x2, w2) = (_weighted_rows(name, rows, weights, self.ddof) for name, rows, weights in
                              (("features1", features1, weights1), ("features2", features2, weights2)))
        _same_width(x1, x2)
        return _weighted_distance(*self._placed(x1, w1, x2, w2), self.ddof)

    def _placed(self, *arrays: np.ndarray) -> list[Any]:
        """The host arrays where this distance computes: themselves, or float64 tensors on `device`."""
        if self.device is None:
            return list(arrays)
        import torch

        return [torch.asarray(a, dtype=torch.float64, device=self.device, copy=True) for a in arrays]

    def shared(self, features1: np.ndarray, features2: np.ndarray) -> dict[str, Any]:
        """What every resample of these two sets reads: the rows centred on their set's mean, the gap between
        the means, squared row norms and, when resamples can take the thin route, the N1×N2 cross products of
        the centred rows (computed once here instead of once per resample), on the distance's device. On the
        host, call it in one BLAS thread, so resamples see the same numbers wherever they run."""
        x1, x2 = _check_features("features1", features1, -1), _check_features("features2", features2, -1)
        _same_width(x1, x2)
        c1, c2 = x1 - x1.mean(axis=0), x2 - x2.mean(axis=0)
        names = ("centred1", "centred2", "gap", "norms1", "norms2")
        arrays = dict(zip(names, self._placed(c1, c2, x1.mean(axis=0) - x2.mean(axis=0),
                                              np.einsum("ij,ij->i", c1, c1), np.einsum("ij,ij->i", c2, c2)),
                          strict=True))
        if len(c1) * len(c2) <= (2 * _thin_rows(x1.shape[1])) ** 2:  # resamples draw ~63 % of the rows
            arrays["cross"] = arrays["centred1"] @ arrays["centred2"].T
        return arrays

    def resampled(self, arrays: dict[str, Any], rows1: np.ndarray, weights1: np.ndarray,
                  rows2: np.ndarray, weights2: np.ndarray) -> float:
        """The distance between rows `rows_i` of the shared sets, weighted (`frechet_distance_features` of those
        rows): G of the thin route from the cross products and rank-one corrections for the subsets' means,
        when a subset has at most THIN_FROM_CROSS × D rows, else the rows' own routes. Between D and that many
        rows, G (rank ≤ D) has zero eigenvalues that rounding makes ±ε‖G‖², clipped: measured ≤ 3e-9 relative
        to the full route at 2048-d, where the thin one costs half as much."""
        centred1, centred2 = arrays["centred1"], arrays["centred2"]
        xp, where = array_namespace(centred1), array_device(centred1)
        r1, w1, r2, w2 = (xp.asarray(a, device=where) for a in (
            _checked_rows("features1", rows1, len(centred1)),
            _checked_weights("features1", weights1, len(rows1), self.ddof),
            _checked_rows("features2", rows2, len(centred2)),
            _checked_weights("features2", weights2, len(rows2), self.ddof)))
        c1, c2 = xp.take(centred1, r1, axis=0), xp.take(centred2, r2, axis=0)
        gap = arrays["gap"]
        if "cross" not in arrays or min(len(rows1), len(rows2)) > _thin_rows(c1.shape[1]):
            return _weighted_distance(c1, w1, c2 - gap, w2, self.ddof)  # both moved by the first mean: same distance
        (s1, d1), (s2, d2) = ((xp.sqrt(w / (xp.sum(w) - self.ddof)), w @ c / xp.sum(w))
                              for w, c in ((w1, c1), (w2, c2)))
        core = arrays["cross"][r1[:, None], r2[None, :]] - (c1 @ d2)[:, None] - (c2 @ d1)[None, :] + d1 @ d2
        g = _drop_centring_row(_drop_centring_row(core * s1[:, None] * s2, xp.sqrt(w1)).T, xp.sqrt(w2)).T
        trace = _sum_sqrt_eigenvalues(g @ g.T if len(g) <= g.shape[1] else g.T @ g)
        spreads = [(s * s) @ (xp.take(arrays[norms], r, axis=0) - 2 * c @ d + d @ d)
                   for s, c, d, norms, r in ((s1, c1, d1, "norms1", r1), (s2, c2, d2, "norms2", r2))]
        diff = gap + d1 - d2
        scale = diff @ diff + sum(spreads)
        return _snap_rounding(float(scale - 2.0 * trace), float(scale))


def _thin_rows(dims: int) -> int:
    """Most distinct rows a resample may have to take the thin route from shared cross products: G Gᵀ's
    eigenvalue problem grows with the rows, but the full route's three products over D² grow too."""
    return int(THIN_FROM_CROSS * dims)
