"""Paired bootstrap intervals of the difference candidate − baseline, over the cases both runs scored: the same
resampled cases (with replacement) enter both runs' statistic, so what the cases share cancels out.

Case metrics: the difference of the runs' suite values, each reduced as the metric declares (weighted by item
counts, or cases weighing equally). Set metrics (FID, FID-VID, FVD): the difference of the distances
recomputed from the resampled videos' stored feature blocks, a case's prediction and ground-truth blocks kept
together, as the run's own interval is computed (a2bench.metrics.bootstrap.distribution_ci).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

LEVEL = 0.95
CASE_RESAMPLES = 1000


def _picks(count: int, seed: int, resamples: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, count, size=(resamples, count))


def _interval(statistics: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(statistics, [tail, 100 - tail])
    return float(low), float(high)


def weighted_difference(candidate: np.ndarray, baseline: np.ndarray, candidate_weights: np.ndarray,
                        baseline_weights: np.ndarray) -> float:
    """Candidate's weighted mean minus baseline's (the suite values' difference)."""
    return float(np.average(candidate, weights=candidate_weights) - np.average(baseline, weights=baseline_weights))


def paired_case_ci(candidate: Sequence[float], baseline: Sequence[float], candidate_weights: Sequence[float],
                   baseline_weights: Sequence[float], seed: int = 0, resamples: int = CASE_RESAMPLES,
                   level: float = LEVEL) -> tuple[float, float] | None:
    """Percentile interval of the difference of weighted means when cases are resampled together; None with
    fewer than two cases."""
    c, b = np.asarray(candidate, dtype=np.float64), np.asarray(baseline, dtype=np.float64)
    wc, wb = np.asarray(candidate_weights, dtype=np.float64), np.asarray(baseline_weights, dtype=np.float64)
    if c.size < 2 or resamples < 1:
        return None
    picks = _picks(c.size, seed, resamples)
    statistics = ((c[picks] * wc[picks]).sum(axis=1) / wc[picks].sum(axis=1)
                  - (b[picks] * wb[picks]).sum(axis=1) / wb[picks].sum(axis=1))
    return _interval(statistics, level)


Blocks = Sequence[tuple[np.ndarray, np.ndarray]]  # per case: (prediction rows, ground-truth rows)
Distance = Callable[[np.ndarray, np.ndarray], float]


def set_distance(blocks: Blocks, distance: Distance, picks: Sequence[int] | None = None) -> float:
    """The distance between the stacked prediction rows and the stacked ground-truth rows of the (picked) cases."""
    chosen = [blocks[i] for i in picks] if picks is not None else list(blocks)
    return distance(np.concatenate([pred for pred, _ in chosen]), np.concatenate([gt for _, gt in chosen]))


def paired_set_ci(candidate: Blocks, baseline: Blocks, distance: Distance, seed: int = 0, resamples: int = 200,
                  level: float = LEVEL) -> tuple[float, float] | None:
    """Percentile interval of candidate distance − baseline distance when videos are resampled together; None
    with fewer than two videos. Each resample computes two distances."""
    if len(candidate) != len(baseline):
        raise ValueError(f"{len(candidate)} candidate cases but {len(baseline)} baseline cases")
    if len(candidate) < 2 or resamples < 1:
        return None
    statistics = np.array([set_distance(candidate, distance, pick) - set_distance(baseline, distance, pick)
                           for pick in _picks(len(candidate), seed, resamples)])
    return _interval(statistics, level)
