"""Bootstrap confidence intervals over cases, deterministic for a seed."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

DEFAULT_RESAMPLES = 1000
DISTRIBUTION_RESAMPLES = 200  # each resample recomputes a Fréchet distance (see distribution_ci)
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


def _row_indices(lengths: np.ndarray, picks: np.ndarray) -> np.ndarray:
    """Row indices into the stacked blocks for the picked cases, in pick order (no Python loop over cases)."""
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    counts = lengths[picks]
    shift = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return np.repeat(starts[picks] - shift, counts) + np.arange(counts.sum())


def distribution_ci(pred_blocks: Sequence[np.ndarray], gt_blocks: Sequence[np.ndarray],
                    distance: Callable[[np.ndarray, np.ndarray], float], seed: int = DEFAULT_SEED,
                    resamples: int = DISTRIBUTION_RESAMPLES, level: float = 0.95) -> tuple[float, float] | None:
    """Percentile interval of a set distance when videos (cases) are resampled with replacement, a case's
    prediction and ground-truth feature blocks kept together. None with fewer than two videos.

    Each resample recomputes the distance: at 2048-d with ≥ 2048 rows that is two eigendecompositions (~2 s
    on 2 CPU cores), so DISTRIBUTION_RESAMPLES = 200 costs minutes; the endpoints' Monte-Carlo spread is then
    ~4–8 % of the interval width (~1–3 % at 1000). Duplicated videos make a resampled set less diverse and
    Fréchet distances grow with that, so the interval can sit above the full-set value (docs/metrics.md).
    """
    if len(pred_blocks) != len(gt_blocks):
        raise ValueError(f"{len(pred_blocks)} prediction blocks but {len(gt_blocks)} ground-truth blocks")
    if len(pred_blocks) < 2:
        return None
    pred, gt = np.concatenate(pred_blocks), np.concatenate(gt_blocks)
    pred_lengths = np.array([len(block) for block in pred_blocks])
    gt_lengths = np.array([len(block) for block in gt_blocks])
    picks = np.random.default_rng(seed).integers(0, len(pred_blocks), size=(resamples, len(pred_blocks)))
    statistics = np.array([distance(pred[_row_indices(pred_lengths, pick)], gt[_row_indices(gt_lengths, pick)])
                           for pick in picks], dtype=np.float64)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(statistics, [tail, 100 - tail])
    return float(low), float(high)
