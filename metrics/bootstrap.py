"""Bootstrap confidence intervals over cases, deterministic for a seed."""

from __future__ import annotations

import numpy as np

DEFAULT_RESAMPLES = 1000
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
