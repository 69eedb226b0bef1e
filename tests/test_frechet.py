"""Fréchet distance against scipy / pytorch-fid, on well- and ill-conditioned covariances; video bootstrap."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from pytorch_fid.fid_score import calculate_frechet_distance
from scipy import linalg

from a2bench.errors import A2BenchError
from a2bench.metrics.base import MissingInput
from a2bench.metrics.bootstrap import _row_indices, distribution_ci, resampled_distances
from a2bench.metrics.frechet import (
    FrechetDistance,
    frechet_distance,
    frechet_distance_features,
    gaussian_stats,
    sqrtm_psd,
    trace_sqrt_product,
)


def features(rows: int, dims: int, seed: int, shift: float = 0.0) -> np.ndarray:
    """Correlated Gaussian rows (a random linear mix), optionally shifted."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(rows, dims)) @ rng.normal(size=(dims, dims)) / np.sqrt(dims) + shift


def pytorch_fid(x1: np.ndarray, x2: np.ndarray) -> float:
    """The reference: pytorch-fid's own formula on np.cov statistics (scipy sqrtm, eps retry)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its "product of cov matrices is singular" notice on rank-deficient sets
        return float(calculate_frechet_distance(x1.mean(0), np.cov(x1, rowvar=False),
                                                x2.mean(0), np.cov(x2, rowvar=False)))


def relative(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


def test_sqrtm_psd_matches_scipy() -> None:
    sigma = np.cov(features(400, 64, 0), rowvar=False)
    root = sqrtm_psd(sigma)
    assert np.allclose(root, linalg.sqrtm(sigma).real, rtol=0, atol=1e-10)
    assert np.allclose(root @ root, sigma, rtol=0, atol=1e-12)
    assert np.allclose(root, root.T)


def test_trace_term_matches_scipy_sqrtm_of_product() -> None:
    s1, s2 = np.cov(features(400, 64, 1), rowvar=False), np.cov(features(300, 64, 2), rowvar=False)
    reference = np.trace(linalg.sqrtm(s1 @ s2)).real
    assert relative(trace_sqrt_product(s1, s2), reference) < 1e-10


@pytest.mark.parametrize(("n1", "n2", "dims"), [(2000, 1500, 64), (600, 500, 256)])
def test_well_conditioned_matches_pytorch_fid(n1: int, n2: int, dims: int) -> None:
    x1, x2 = features(n1, dims, 3), features(n2, dims, 4, shift=0.1)
    reference = pytorch_fid(x1, x2)
    assert relative(frechet_distance(*gaussian_stats(x1), *gaussian_stats(x2)), reference) < 1e-6
    assert relative(frechet_distance_features(x1, x2), reference) < 1e-6


@pytest.mark.parametrize(("n1", "n2"), [(50, 60), (50, 5000), (300, 300)])
def test_rank_deficient_sets_are_finite_and_agree(n1: int, n2: int) -> None:
    """Fewer samples than dimensions (256-d): both routes agree with each other and with pytorch-fid.

    Measured: covariance (eigh, clipped) route vs the thin-factor route ≤ 3e-8 relative; pytorch-fid's
    sqrtm vs the factor route ≤ 5e-8. Asserted with margin at 1e-6.
    """
    x1, x2 = features(n1, 256, 5), features(n2, 256, 6, shift=0.1)
    thin = frechet_distance_features(x1, x2)
    via_covariance = frechet_distance(*gaussian_stats(x1), *gaussian_stats(x2))
    assert np.isfinite(thin) and np.isfinite(via_covariance)
    assert relative(via_covariance, thin) < 1e-6
    assert relative(pytorch_fid(x1, x2), thin) < 1e-6


def test_equal_covariances_give_squared_mean_distance() -> None:
    sigma = np.cov(features(500, 32, 7), rowvar=False)
    mu1, mu2 = np.zeros(32), np.linspace(-1, 1, 32)
    assert frechet_distance(mu1, sigma, mu2, sigma) == pytest.approx(mu2 @ mu2, abs=1e-9 * np.trace(sigma))


def test_identical_sets_give_zero() -> None:
    x = features(100, 256, 8)  # rank-deficient: exercises the clipping of the eigh route
    assert abs(frechet_distance_features(x, x)) < 1e-10
    sigma = np.cov(x, rowvar=False)
    assert abs(frechet_distance(x.mean(0), sigma, x.mean(0), sigma)) < 1e-6 * np.trace(sigma)


def test_zero_covariance_is_finite() -> None:
    """A set of identical rows has Σ = 0: the trace term vanishes, d = |Δμ|² + tr Σ2 (no NaN, no error)."""
    constant = np.ones((10, 16))
    other = features(40, 16, 9)
    expected = np.sum((1 - other.mean(0)) ** 2) + np.trace(np.cov(other, rowvar=False))
    assert frechet_distance_features(constant, other) == pytest.approx(expected, rel=1e-12)
    assert frechet_distance(np.ones(16), np.zeros((16, 16)), other.mean(0), np.cov(other, rowvar=False)) == (
        pytest.approx(expected, rel=1e-12))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_raises(bad: float) -> None:
    x = features(30, 8, 10)
    broken = x.copy()
    broken[3, 2] = bad
    with pytest.raises(A2BenchError, match="NaN or inf"):
        frechet_distance_features(broken, x)
    sigma = np.cov(x, rowvar=False)
    broken_sigma = sigma.copy()
    broken_sigma[0, 0] = bad
    with pytest.raises(A2BenchError, match="NaN or inf"):
        frechet_distance(x.mean(0), broken_sigma, x.mean(0), sigma)


def test_population_covariance_matches_stylegan_v_convention() -> None:
    """ddof=0 is StyleGAN-V's raw second moment / N − μμᵀ."""
    x1, x2 = features(40, 300, 11), features(45, 300, 12, shift=0.2)
    mu, sigma = gaussian_stats(x1, ddof=0)
    assert np.allclose(sigma, x1.T @ x1 / len(x1) - np.outer(mu, mu), atol=1e-12)
    stats = [gaussian_stats(x, ddof=0) for x in (x1, x2)]
    assert relative(frechet_distance_features(x1, x2, ddof=0), frechet_distance(*stats[0], *stats[1])) < 1e-6
    assert frechet_distance_features(x1, x2, ddof=0) != pytest.approx(frechet_distance_features(x1, x2, ddof=1))


def test_too_few_rows_and_bad_shapes_raise() -> None:
    with pytest.raises(MissingInput, match="at least 2"):
        frechet_distance_features(np.ones((1, 4)), np.ones((5, 4)))
    with pytest.raises(A2BenchError, match="width"):
        frechet_distance_features(np.ones((5, 4)), np.ones((5, 3)))
    with pytest.raises(A2BenchError, match="mismatched"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))


def test_row_indices_match_naive_concatenation() -> None:
    lengths = np.array([3, 1, 4, 2])
    picks = np.array([2, 0, 2, 3])
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    naive = np.concatenate([np.arange(starts[i], starts[i] + lengths[i]) for i in picks])
    assert np.array_equal(_row_indices(lengths, picks), naive)


def test_distribution_ci_is_deterministic_and_brackets_the_value() -> None:
    """Rows i.i.d. across videos: then the interval contains the full-set value (not so in general)."""
    pred = [features(5, 8, 20 + i, shift=0.3) for i in range(12)]
    gt = [features(5, 8, 40 + i) for i in range(12)]
    value = frechet_distance_features(np.concatenate(pred), np.concatenate(gt))
    first = distribution_ci(pred, gt, FrechetDistance(), seed=3, resamples=100)
    assert first == distribution_ci(pred, gt, FrechetDistance(), seed=3, resamples=100)
    assert first != distribution_ci(pred, gt, FrechetDistance(), seed=4, resamples=100)
    assert first is not None and first[0] < value < first[1]


def test_distribution_ci_keeps_a_case_together_and_needs_two_cases() -> None:
    """With each case's pred block equal to its gt block, every resample is at distance 0."""
    blocks = [features(4, 3, 60 + i) for i in range(5)]
    low, high = distribution_ci(blocks, blocks, FrechetDistance(), resamples=20)
    assert abs(low) < 1e-9 and abs(high) < 1e-9
    assert distribution_ci(blocks[:1], blocks[:1], FrechetDistance()) is None
    with pytest.raises(ValueError):
        distribution_ci(blocks, blocks[:3], FrechetDistance())


def weighted_reference(x1: np.ndarray, w1: np.ndarray, x2: np.ndarray, w2: np.ndarray, ddof: int) -> float:
    """The distance from numpy's frequency-weighted mean and covariance, the trace term as the nuclear norm of
    A1A2ᵀ from its singular values (exact to rounding however rank-deficient, docs/metrics.md)."""
    factors = [(x - np.average(x, axis=0, weights=w)) * np.sqrt(w / (w.sum() - ddof))[:, None]
               for x, w in ((x1, w1), (x2, w2))]
    diff = np.average(x1, axis=0, weights=w1) - np.average(x2, axis=0, weights=w2)
    traces = [np.trace(np.cov(x, rowvar=False, fweights=w, ddof=ddof)) for x, w in ((x1, w1), (x2, w2))]
    nuclear = linalg.svdvals(factors[0] @ factors[1].T).sum()
    return float(diff @ diff + sum(traces) - 2 * nuclear)


@pytest.mark.parametrize(("rows", "dims"), [(30, 64), (90, 64)])
def test_row_weights_equal_repeating_the_rows(rows: int, dims: int) -> None:
    """Counts as weights give the distance of the set with each row repeated that often, on the thin route
    (30 distinct rows of 64-d) and the full-rank one (90). Measured ≤ 3e-15 against numpy's fweights with
    exact singular values; the repeated rows themselves are rank-deficient, which costs the squared routes
    ~1e-8 when there are fewer of them than dimensions (so that comparison is only tight on the full route)."""
    x1, x2 = features(rows, dims, 13), features(rows + 7, dims, 14, shift=0.2)
    w1 = np.random.default_rng(15).integers(1, 4, rows)
    w2 = np.random.default_rng(16).integers(1, 4, rows + 7)
    for ddof in (0, 1):
        weighted = frechet_distance_features(x1, x2, ddof=ddof, weights1=w1, weights2=w2)
        assert relative(weighted, weighted_reference(x1, w1, x2, w2, ddof)) < 1e-9
        repeated = frechet_distance_features(np.repeat(x1, w1, axis=0), np.repeat(x2, w2, axis=0), ddof=ddof)
        assert relative(weighted, repeated) < (1e-9 if rows > dims else 1e-6)
    unit = frechet_distance_features(x1, x2, weights1=np.ones(rows))
    assert unit == frechet_distance_features(x1, x2)


def test_bad_row_weights_raise() -> None:
    x = features(6, 4, 17)
    for weights in (np.ones(5), np.array([1, 1, 0, 1, 1, 1]), -np.ones(6)):
        with pytest.raises(A2BenchError, match="row weights"):
            frechet_distance_features(x, x, weights1=weights)
    with pytest.raises(MissingInput, match=r"total weight 0\.5; a covariance needs more than 1"):
        frechet_distance_features(x[:1], x, weights1=np.array([0.5]))
    assert frechet_distance_features(x[:1], x, weights1=np.array([3.0])) > 0  # one row drawn 3 times: Σ = 0
    shared = FrechetDistance().shared(x, x)
    with pytest.raises(MissingInput, match="a covariance needs more than 1"):
        FrechetDistance().resampled(shared, np.array([0]), np.array([1.0]), np.arange(6), np.ones(6))


@pytest.mark.parametrize(("per_video", "dims", "cross"), [(4, 40, True), (9, 40, True), (9, 10, False)])
def test_a_resample_is_the_distance_of_its_repeated_blocks(per_video: int, dims: int, cross: bool) -> None:
    """A resample (drawn videos once, with their counts; G from the shared cross products while few rows are
    distinct) equals the weighted distance of the drawn rows (measured ≤ 1e-14 with at most D distinct rows,
    asserted 1e-9; G's zero eigenvalues beyond D rows cost ≤ 4e-9, asserted 1e-6) and that of every draw's rows
    gathered (rank-deficient with the repeats, asserted 1e-6). 4 rows per video keep every resample under D
    rows, 9 put some above D, still thin from the cross products up to 1.25 D and on the full route beyond;
    10-d features share no cross products (a resample has far more rows than 2.5 × D)."""
    videos = 7
    lengths = np.full(videos, per_video)
    blocks = [features(per_video, dims, 30 + i, shift=0.05 * i) for i in range(2 * videos)]
    pred, gt = blocks[:videos], blocks[videos:]
    distance = FrechetDistance(ddof=1)
    assert ("cross" in distance.shared(np.concatenate(pred), np.concatenate(gt))) is cross
    picks = np.random.default_rng(20).integers(0, videos, size=(12, videos))
    values = resampled_distances(pred, gt, distance, picks)
    stacked_pred, stacked_gt = np.concatenate(pred), np.concatenate(gt)
    for pick, value in zip(picks, values, strict=True):
        counts = np.bincount(pick, minlength=videos)
        drawn = _row_indices(lengths, np.flatnonzero(counts))
        weights = np.repeat(counts[counts > 0], per_video)
        weighted = frechet_distance_features(stacked_pred[drawn], stacked_gt[drawn], weights1=weights,
                                             weights2=weights)
        assert relative(value, weighted) < (1e-9 if len(drawn) <= dims else 1e-6)
        rows = _row_indices(lengths, pick)
        assert relative(value, frechet_distance_features(stacked_pred[rows], stacked_gt[rows])) < 1e-6


@pytest.mark.parametrize(("per_video", "dims", "route", "tolerance"),
                         [(4, 40, "thin from cross products", 1e-12),
                          (9, 40, "cross products beyond D rows, some resamples full", 1e-8),
                          (9, 10, "full, no cross products", 1e-12)])
def test_torch_float64_steps_equal_the_numpy_ones(per_video: int, dims: int, route: str, tolerance: float) -> None:
    """The same steps in torch float64 (what runs on a GPU, here on the CPU) agree with numpy's on every route
    of the distance and of a resample (measured ≤ 4e-15 relative; asserted 1e-12), keep the shared arrays on
    the device, and give the same bootstrap interval to rounding. Resamples of D to 1.25 × D distinct rows take
    the thin route with G's zero eigenvalues at ±ε‖G‖², clipped, whose rounding differs between the libraries:
    measured 2.7e-9 relative, asserted 1e-8 (the same order as against the full route, ≤ 3e-9)."""
    import torch

    videos = 7
    blocks = [features(per_video, dims, 60 + i, shift=0.05 * i) for i in range(2 * videos)]
    pred, gt = blocks[:videos], blocks[videos:]
    weights = np.random.default_rng(61).integers(1, 4, videos * per_video).astype(np.float64)
    host, device = FrechetDistance(ddof=1), FrechetDistance(ddof=1, device="cpu")
    for ddof in (0, 1):
        x1, x2 = np.concatenate(pred), np.concatenate(gt)
        assert relative(FrechetDistance(ddof, "cpu")(x1, x2), FrechetDistance(ddof)(x1, x2)) < 1e-12
        assert relative(FrechetDistance(ddof, "cpu")(x1, x2, weights, weights),
                        FrechetDistance(ddof)(x1, x2, weights, weights)) < 1e-12
    shared = device.shared(np.concatenate(pred), np.concatenate(gt))
    assert all(isinstance(array, torch.Tensor) and array.dtype == torch.float64 for array in shared.values())
    assert ("cross" in shared) is (route != "full, no cross products")
    picks = np.random.default_rng(62).integers(0, videos, size=(12, videos))
    np.testing.assert_allclose(resampled_distances(pred, gt, device, picks),
                               resampled_distances(pred, gt, host, picks), rtol=tolerance, atol=0)
    np.testing.assert_allclose(distribution_ci(pred, gt, device, seed=3, resamples=40),
                               distribution_ci(pred, gt, host, seed=3, resamples=40), rtol=tolerance)
    assert device(pred[0], pred[0]) == 0.0


def test_torch_steps_check_their_inputs_on_the_host() -> None:
    """Bad rows and weights raise the same errors on a device as on the host, before anything is uploaded."""
    x = features(6, 4, 63)
    on_device = FrechetDistance(device="cpu")
    with pytest.raises(A2BenchError, match="NaN or inf"):
        on_device(np.where(x > 1, np.nan, x), x)
    with pytest.raises(A2BenchError, match="row weights"):
        on_device(x, x, weights1=-np.ones(6))
    with pytest.raises(A2BenchError, match="differ in width"):
        on_device.shared(x, x[:, :3])
    with pytest.raises(MissingInput, match="a covariance needs more than 1"):
        on_device.resampled(on_device.shared(x, x), np.array([0]), np.array([1.0]), np.arange(6), np.ones(6))
    for distance in (on_device, FrechetDistance()):
        for rows in (np.array([0, 6]), np.array([-1, 2]), np.array([0.0, 1.0]), np.zeros((2, 1), dtype=int)):
            with pytest.raises(A2BenchError, match="row indices must be integers from 0 to 5"):
                distance.resampled(distance.shared(x, x), rows, np.ones(rows.size), np.arange(6), np.ones(6))


def test_torch_steps_fall_back_from_cholesky_like_numpy() -> None:
    """A singular covariance from more rows than dimensions (a constant feature) fails the Cholesky factor in
    torch as in numpy, and both take the clipped symmetric root instead: equal to pytorch-fid's sqrtm within the
    rank-deficient bound (1e-6), and to each other within what the clipped zero eigenvalue costs (~√ε‖Σ‖:
    measured 1.1e-9 relative, asserted 1e-7)."""
    x1, x2 = features(60, 8, 64), features(70, 8, 65, shift=0.3)
    x1[:, 3] = 1.5
    on_device, on_host = FrechetDistance(device="cpu")(x1, x2), FrechetDistance()(x1, x2)
    assert relative(on_device, on_host) < 1e-7
    assert relative(on_device, pytorch_fid(x1, x2)) < 1e-6 and relative(on_host, pytorch_fid(x1, x2)) < 1e-6


def test_a_device_distance_never_goes_to_worker_processes() -> None:
    """Its shared arrays are tensors: a pool is passed over and the resamples run in this process."""

    class NoPool:
        workers = 4

        def share(self, arrays: dict) -> dict:
            raise AssertionError("a device distance's arrays were handed to worker processes")

        def map(self, function: object, tasks: list) -> list:
            raise AssertionError("a device distance's resamples were sent to worker processes")

    blocks = [features(4, 10, 70 + i) for i in range(8)]
    picks = np.random.default_rng(71).integers(0, 4, size=(5, 4))
    on_device = FrechetDistance(device="cpu")
    np.testing.assert_array_equal(resampled_distances(blocks[:4], blocks[4:], on_device, picks, pool=NoPool()),
                                  resampled_distances(blocks[:4], blocks[4:], on_device, picks))
