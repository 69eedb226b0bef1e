"""Bootstrap confidence intervals over cases, deterministic for a seed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

DEFAULT_RESAMPLES = 1000
DISTRIBUTION_RESAMPLES = 200  # each resample recomputes a Fréchet distance (see distribution_ci)
DEFAULT_SEED = 0


def draw_cases(count: int, seed: int, resamples: int) -> np.ndarray:
    """Every resample's drawn cases (with replacement), all drawn up front from one seeded generator."""
    return np.random.default_rng(seed).integers(0, count, size=(resamples, count))


def percentile_interval(statistics: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The central `level` percentile interval of resampled statistics."""
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(np.asarray(statistics, dtype=np.float64), [tail, 100 - tail])
    return float(low), float(high)


def frame_weighted_ci(case_means: np.ndarray, case_frames: np.ndarray, seed: int = DEFAULT_SEED,
                      resamples: int = DEFAULT_RESAMPLES, level: float = 0.95) -> tuple[float, float] | None:
    """Percentile interval of the frame-weighted mean when cases are resampled with replacement.

    None when fewer than two cases exist (no spread to resample).
    """
    means = np.asarray(case_means, dtype=np.float64)
    frames = np.asarray(case_frames, dtype=np.float64)
    if means.size < 2:
        return None
    picks = draw_cases(means.size, seed, resamples)
    weights = frames[picks]
    return percentile_interval((means[picks] * weights).sum(axis=1) / weights.sum(axis=1), level)


def _row_indices(lengths: np.ndarray, picks: np.ndarray) -> np.ndarray:
    """Row indices into the stacked blocks for the picked cases, in pick order (no Python loop over cases)."""
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    counts = lengths[picks]
    shift = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return np.repeat(starts[picks] - shift, counts) + np.arange(counts.sum())


class Parallel(Protocol):
    """Where bootstrap resamples run: a pool of worker processes (a2bench.casework.HostPool) or inline."""

    def share(self, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        """Handles the tasks can open the arrays from (paths of files in a scratch folder, or the arrays)."""

    def map(self, function: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]) -> list[Any]:
        """function(*task) for every task, in order."""


class SetDistance(Protocol):
    """A distance between two feature row sets that the bootstrap can resample (metrics.frechet.FrechetDistance).
    `device` None: it computes on the host (numpy), so its resamples can go to worker processes; else on that
    torch device, in the calling process."""

    device: str | None

    def __call__(self, features1: np.ndarray, features2: np.ndarray) -> float:
        """The distance between the two sets."""

    def shared(self, features1: np.ndarray, features2: np.ndarray) -> dict[str, Any]:
        """Arrays computed once that every resample reads (numpy, or tensors on the device)."""

    def resampled(self, arrays: dict[str, Any], rows1: np.ndarray, weights1: np.ndarray,
                  rows2: np.ndarray, weights2: np.ndarray) -> float:
        """The distance between the given rows of both sets, each row weighted by how often it was drawn."""


def _opened(handle: Any) -> np.ndarray:
    return np.load(handle, mmap_mode="r", allow_pickle=False) if isinstance(handle, str | Path) else handle


def resample_distances(arrays: dict[str, Any], pred_lengths: np.ndarray, gt_lengths: np.ndarray, picks: np.ndarray,
                       distance: SetDistance) -> list[float]:
    """The distance of each resample (one row of `picks`: the cases drawn): each drawn case's rows once, weighted
    by how often it was drawn (the set with those rows repeated); `arrays` are `distance.shared` or handles to
    them. One BLAS thread on the host, so a resample's value does not depend on which process computed it."""
    from threadpoolctl import threadpool_limits

    opened = {name: _opened(handle) for name, handle in arrays.items()}
    values = []
    with threadpool_limits(1):
        for pick in picks:
            counts = np.bincount(pick, minlength=len(pred_lengths))
            drawn = np.flatnonzero(counts)
            values.append(float(distance.resampled(opened, _row_indices(pred_lengths, drawn),
                                                   np.repeat(counts[drawn], pred_lengths[drawn]).astype(np.float64),
                                                   _row_indices(gt_lengths, drawn),
                                                   np.repeat(counts[drawn], gt_lengths[drawn]).astype(np.float64))))
    return values


def resampled_distances(pred_blocks: Sequence[np.ndarray], gt_blocks: Sequence[np.ndarray], distance: SetDistance,
                        picks: np.ndarray, pool: Parallel | None = None) -> np.ndarray:
    """The distance of each resample (a row of `picks`), a case's prediction and ground-truth blocks kept
    together, computed in chunks in `pool`'s worker processes when given and the distance computes on the host
    (one BLAS thread each), else in this process, from arrays the distance shares, computed once in one thread:
    the values are the same whatever the parallelism. Each drawn case's rows enter once with its count as row
    weight."""
    from threadpoolctl import threadpool_limits

    if len(pred_blocks) != len(gt_blocks):
        raise ValueError(f"{len(pred_blocks)} prediction blocks but {len(gt_blocks)} ground-truth blocks")
    with threadpool_limits(1):
        arrays = distance.shared(np.concatenate(pred_blocks), np.concatenate(gt_blocks))
    pred_lengths = np.array([len(block) for block in pred_blocks])
    gt_lengths = np.array([len(block) for block in gt_blocks])
    if pool is None or distance.device is not None:  # device arrays stay in this process
        return np.asarray(resample_distances(arrays, pred_lengths, gt_lengths, picks, distance))
    shared = pool.share(arrays)
    chunks = np.array_split(picks, min(len(picks), max(1, getattr(pool, "workers", 1)) * 4))
    tasks = [(shared, pred_lengths, gt_lengths, chunk, distance) for chunk in chunks]
    return np.asarray([value for part in pool.map(resample_distances, tasks) for value in part])


def distribution_ci(pred_blocks: Sequence[np.ndarray], gt_blocks: Sequence[np.ndarray],
                    distance: SetDistance, seed: int = DEFAULT_SEED,
                    resamples: int = DISTRIBUTION_RESAMPLES, level: float = 0.95,
                    pool: Parallel | None = None) -> tuple[float, float] | None:
    """Percentile interval of a set distance when videos (cases) are resampled with replacement
    (`resampled_distances`); None with fewer than two videos. Each resample recomputes the distance (one
    symmetric eigenvalue problem, metrics/frechet.py); the endpoints' Monte-Carlo spread is ~4–8 % of the
    interval width at 200 resamples (~1–3 % at 1000). Duplicated videos make a resampled set less diverse and
    Fréchet distances grow with that, so the interval can sit above the full-set value (docs/metrics.md).
    """
    if len(pred_blocks) != len(gt_blocks):
        raise ValueError(f"{len(pred_blocks)} prediction blocks but {len(gt_blocks)} ground-truth blocks")
    if len(pred_blocks) < 2:
        return None
    picks = draw_cases(len(pred_blocks), seed, resamples)
    return percentile_interval(resampled_distances(pred_blocks, gt_blocks, distance, picks, pool), level)
