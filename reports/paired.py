"""Paired bootstrap intervals of the difference candidate − baseline, over the cases both runs scored: the same
resampled cases (with replacement) enter both runs' statistic, so what the cases share cancels out.

Case metrics: the difference of the runs' suite values, each reduced as the metric declares (weighted by item
counts, or cases weighing equally). Set metrics (FID, FID-VID, FVD): the difference of the distances
recomputed from the resampled videos' stored feature blocks, a case's prediction and ground-truth blocks kept
together, as the run's own interval is computed (a2bench.metrics.bootstrap.distribution_ci), in numpy on the
host (a run scored on a data-centre GPU computed its own there, ~1e-9 apart for FID resamples).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from a2bench.metrics.bootstrap import Parallel, SetDistance, draw_cases, percentile_interval, resampled_distances

LEVEL = 0.95
CASE_RESAMPLES = 1000


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
    picks = draw_cases(c.size, seed, resamples)
    statistics = ((c[picks] * wc[picks]).sum(axis=1) / wc[picks].sum(axis=1)
                  - (b[picks] * wb[picks]).sum(axis=1) / wb[picks].sum(axis=1))
    return percentile_interval(statistics, level)


Blocks = Sequence[tuple[np.ndarray, np.ndarray]]  # per case: (prediction rows, ground-truth rows)


def set_distance(blocks: Blocks, distance: SetDistance) -> float:
    """The distance between the stacked prediction rows and the stacked ground-truth rows of the cases."""
    return distance(np.concatenate([pred for pred, _ in blocks]), np.concatenate([gt for _, gt in blocks]))


def paired_set_ci(candidate: Blocks, baseline: Blocks, distance: SetDistance, seed: int = 0, resamples: int = 200,
                  level: float = LEVEL, pool: Parallel | None = None) -> tuple[float, float] | None:
    """Percentile interval of candidate distance − baseline distance when videos are resampled together; None
    with fewer than two videos. Each resample computes two distances, as the runs' own intervals do."""
    if len(candidate) != len(baseline):
        raise ValueError(f"{len(candidate)} candidate cases but {len(baseline)} baseline cases")
    if len(candidate) < 2 or resamples < 1:
        return None
    picks = draw_cases(len(candidate), seed, resamples)
    sides = [resampled_distances([pred for pred, _ in blocks], [gt for _, gt in blocks], distance, picks, pool)
             for blocks in (candidate, baseline)]
    return percentile_interval(sides[0] - sides[1], level)
