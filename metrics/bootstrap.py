"""Bootstrap confidence intervals over cases, deterministic for a seed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

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


class Parallel(Protocol):
    """Where bootstrap resamples run: a pool of worker processes (a2bench.casework.HostPool) or inline."""

    def share(self, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        """Handles the tasks can open the arrays from (paths of files on a RAM disk, or the arrays)."""

    def map(self, function: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]) -> list[Any]:
        """function(*task) for every task, in order."""


def _opened(handle: Any) -> np.ndarray:
    return np.load(handle, mmap_mode="r", allow_pickle=False) if isinstance(handle, str | Path) else handle


def resample_distances(pred: Any, gt: Any, pred_lengths: np.ndarray, gt_lengths: np.ndarray, picks: np.ndarray,
                       distance: Callable[..., float]) -> list[float]:
    """The distance of each resample (one row of `picks`: the cases drawn): each drawn case's rows once, weighted
    by how often it was drawn (`distance(pred, gt, weights1=, weights2=)`, the set with those rows repeated);
    `pred`/`gt` are arrays or shared handles. One BLAS thread, wherever it runs, so a resample's value does not
    depend on where it was computed."""
    from threadpoolctl import threadpool_limits

    pred_rows, gt_rows = _opened(pred), _opened(gt)
    values = []
    with threadpool_limits(1):
        for pick in picks:
            counts = np.bincount(pick, minlength=len(pred_lengths))
            drawn = np.flatnonzero(counts)
            values.append(float(distance(pred_rows[_row_indices(pred_lengths, drawn)],
                                         gt_rows[_row_indices(gt_lengths, drawn)],
                                         weights1=np.repeat(counts[drawn], pred_lengths[drawn]),
                                         weights2=np.repeat(counts[drawn], gt_lengths[drawn]))))
    return values


def distribution_ci(pred_blocks: Sequence[np.ndarray], gt_blocks: Sequence[np.ndarray],
                    distance: Callable[..., float], seed: int = DEFAULT_SEED,
                    resamples: int = DISTRIBUTION_RESAMPLES, level: float = 0.95,
                    pool: Parallel | None = None) -> tuple[float, float] | None:
    """Percentile interval of a set distance when videos (cases) are resampled with replacement, a case's
    prediction and ground-truth feature blocks kept together. None with fewer than two videos.

    All resamples are drawn up front from one seeded generator, then computed in chunks, in `pool`'s worker
    processes when given (one BLAS thread each; `distance` must then be picklable): the interval is the same
    whatever the parallelism. Each resample recomputes the distance, on each drawn video's rows once with its
    count as row weight (one symmetric eigenvalue problem of at most D × D, metrics/frechet.py); the
    endpoints' Monte-Carlo spread is ~4–8 % of the interval width at 200 resamples (~1–3 % at 1000).
    Duplicated videos make a resampled set less diverse and Fréchet distances grow with that, so the interval
    can sit above the full-set value (docs/metrics.md).
    """
    if len(pred_blocks) != len(gt_blocks):
        raise ValueError(f"{len(pred_blocks)} prediction blocks but {len(gt_blocks)} ground-truth blocks")
    if len(pred_blocks) < 2:
        return None
    pred, gt = np.concatenate(pred_blocks), np.concatenate(gt_blocks)
    pred_lengths = np.array([len(block) for block in pred_blocks])
    gt_lengths = np.array([len(block) for block in gt_blocks])
    picks = np.random.default_rng(seed).integers(0, len(pred_blocks), size=(resamples, len(pred_blocks)))
    if pool is None:
        statistics = resample_distances(pred, gt, pred_lengths, gt_lengths, picks, distance)
    else:
        shared = pool.share({"pred": pred, "gt": gt})
        chunks = np.array_split(picks, min(len(picks), max(1, getattr(pool, "workers", 1)) * 4))
        tasks = [(shared["pred"], shared["gt"], pred_lengths, gt_lengths, chunk, distance) for chunk in chunks]
        statistics = [value for part in pool.map(resample_distances, tasks) for value in part]
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(np.asarray(statistics, dtype=np.float64), [tail, 100 - tail])
    return float(low), float(high)
