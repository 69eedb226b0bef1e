"""Bootstrap confidence intervals over cases, deterministic for a seed."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

DEFAULT_RESAMPLES = 1000
DISTRIBUTION_RESAMPLES = 200  # each resample recomputes a Fréchet distance (an eigendecomposition)
DEFAULT_SEED = 0


def frame_weighted_ci(case_means: np.ndarray, case_frames: np.ndarray, seed: int = DEFAULT_SEED,
                      resamples: int = DEFAULT_RESAMPLES, level: float = 0.95) -> tuple[float, float] | None:
    """Percentile interval of the frame-weighted mean when cases are resampled with replacement.

    None when fewer than two cases exist (no spread to resample).
    """
    means = np.asarray(case_means, dtype=np.float64)
    frames = np.asarray(case_frames, dtype=np.float64)
    if means.size < 2:
        return None
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, means.size, size=(resamples, means.size))
    weights = frames[picks]
    statistics = (means[picks] * weights).sum(axis=1) / weights.sum(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(statistics, [tail, 100 - tail])
    return float(low), float(high)


def distribution_ci(pred_blocks: Sequence[np.ndarray], gt_blocks: Sequence[np.ndarray],
                    distance: Callable[[np.ndarray, np.ndarray], float], seed: int = DEFAULT_SEED,
                    resamples: int = DISTRIBUTION_RESAMPLES, level: float = 0.95) -> tuple[float, float] | None:
    """Percentile interval of a set distance when videos (cases) are resampled with replacement, the
    prediction and ground-truth blocks of a case kept together. None with fewer than two videos."""
    if len(pred_blocks) < 2:
        return None
    rng = np.random.default_rng(seed)
    statistics = []
    for _ in range(resamples):
        picks = rng.integers(0, len(pred_blocks), size=len(pred_blocks))
        statistics.append(distance(np.concatenate([pred_blocks[i] for i in picks]),
                                   np.concatenate([gt_blocks[i] for i in picks])))
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(np.asarray(statistics, dtype=np.float64), [tail, 100 - tail])
    return float(low), float(high)
