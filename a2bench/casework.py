"""The host side of scoring one case, runnable in a worker process: decode once, hash once, check the ground
truth against its manifest, align, compute the pixel metrics and the host (CPU) part of every network's input
pipeline that the feature cache does not already hold.

Workers run with one BLAS/OpenMP/OpenCV/torch thread each and hand their arrays to the main process (which
runs the networks) through `.npy` files in a scratch folder on a RAM-backed file system, memory-mapped on the
other side, so nothing large travels through pipes. With no workers the same function runs inline; results
are bit-identical either way.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import count, islice
from multiprocessing import get_context, parent_process
from pathlib import Path
from threading import Thread
from typing import Any

import numpy as np

from a2bench.errors import MatchError
from a2bench.metrics.base import CaseFrames, CaseMetric, MissingInput
from a2bench.metrics.cache import frames_digest
from a2bench.metrics.protocol import Alignment
from a2bench.pairs import VideoPair
from a2bench.scratch import ScratchFolder, save_scratch
from a2bench.video.io import read_image, read_video

HostFunction = Callable[[np.ndarray], np.ndarray]
ROLES = ("pred", "gt", "reference")


@dataclass(frozen=True)
class HostInput:
    """A network input pipeline's host part, and where its output for a video would already be cached."""

    key: str
    host: HostFunction
    roles: tuple[str, ...]
    cache_root: Path | None


@dataclass(frozen=True)
class CasePlan:
    """What the host side computes for every case (picklable: sent once to each worker with every case)."""

    alignment: Alignment
    metrics: tuple[CaseMetric, ...]
    inputs: tuple[HostInput, ...]
    want_frames: tuple[str, ...]  # frames the main process needs itself (e.g. LPIPS: aligned, gt)


@dataclass
class HostedCase:
    """A case after its host side: digests, frame count, pixel metric values, alignment notes and arrays."""

    pair: VideoPair
    frames: int
    digests: dict[str, str | None]
    values: dict[str, tuple[float, int]]
    skipped: dict[str, str]
    notes: list[str]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)  # "frames:<role>" and "<key>:<role>"
    seconds: dict[str, float] = field(default_factory=dict)  # host time: "decode", per metric, per extractor key


def _cached(host_input: HostInput, digest: str) -> bool:
    if host_input.cache_root is None:
        return False
    from a2bench.metrics.cache import FeatureCache

    return FeatureCache(host_input.cache_root).path_for(digest, host_input.key).is_file()


def host_case(pair: VideoPair, plan: CasePlan, known: Mapping[str, Any] | None = None) -> HostedCase:
    """The host side of one case. `known` = {"digests": ..., "values": ...} stored for this case by an earlier
    run: when the decoded videos have those digests, their values are kept instead of computed again."""
    started = time.perf_counter()
    pred, gt = read_video(pair.pred), read_video(pair.gt)
    reference = read_image(pair.reference) if pair.reference else None
    digests = {"pred": frames_digest(pred), "gt": frames_digest(gt),
               "reference": frames_digest(reference) if reference is not None else None}
    if pair.expected is not None:
        pair.expected.check(pair, digests)
    if len(pred) != len(gt):
        raise MatchError(f"{len(pred)} frames, but its ground truth has {len(gt)}", path=pair.pred,
                         fix="generate as many frames as the ground truth has (or trim both to the same length)")
    reuse = dict(known["values"]) if known and known.get("digests") == digests else {}
    aligned = plan.alignment.apply(pred, gt.shape[1], gt.shape[2])
    hosted = HostedCase(pair, len(gt), digests, {}, {}, plan.alignment.notes(pred.shape, gt.shape))
    started = _lap(hosted.seconds, "decode", started)
    case = CaseFrames(pair.case_id, pred=pred, aligned=aligned, gt=gt, reference=reference)
    for metric in plan.metrics:
        if metric.name in reuse:
            hosted.values[metric.name] = tuple(reuse[metric.name])  # type: ignore[assignment]
            continue
        try:
            hosted.values[metric.name] = metric.reduction.case_value(metric.case_values(case))
        except MissingInput as exc:
            hosted.skipped[metric.name] = exc.line()
        started = _lap(hosted.seconds, metric.name, started)
    frames = {"pred": pred, "aligned": aligned, "gt": gt, "reference": reference}
    for role in plan.want_frames:
        if frames[role] is not None:
            hosted.arrays[f"frames:{role}"] = frames[role]  # type: ignore[assignment]
    for host_input in plan.inputs:
        for role in host_input.roles:
            source, digest = frames[role], digests[role]
            if source is None or digest is None or _cached(host_input, digest):
                continue
            try:
                hosted.arrays[f"{host_input.key}:{role}"] = host_input.host(
                    source if role != "reference" else source[None])
            except MissingInput as exc:
                hosted.skipped[f"input:{host_input.key}"] = exc.line()
            started = _lap(hosted.seconds, host_input.key, started)
    return hosted


def _lap(seconds: dict[str, float], name: str, started: float) -> float:
    """Add the time since `started` to `seconds[name]`; returns now."""
    now = time.perf_counter()
    seconds[name] = seconds.get(name, 0.0) + now - started
    return now


# ---------------------------------------------------------------- worker processes


MAX_WORKERS = 16


def default_workers() -> int:
    """Host worker processes by default: one per core but one (the main process feeds the networks)."""
    return max(0, min(MAX_WORKERS, (os.cpu_count() or 1) - 1))


def _init_worker() -> None:
    """One thread for every library that keeps a pool, in each worker: the workers are the parallelism. A worker
    also exits when its a2bench process is gone (killed): it would otherwise wait forever on its task queue,
    whose other end it holds itself."""
    parent = parent_process()
    if parent is not None:
        Thread(target=_exit_after, args=(parent,), name="a2bench-parent-watch", daemon=True).start()
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    import cv2

    cv2.setNumThreads(1)
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


def _exit_after(parent: Any) -> None:
    """Wait for the parent process to end, then end this worker at once (nothing of its own to clean up)."""
    parent.join()
    os._exit(1)


_NAMES = count()


def _host_in_worker(pair: VideoPair, plan: CasePlan, known: Mapping[str, Any] | None, scratch: str) -> HostedCase:
    """`host_case` in a worker: its arrays are written to the scratch folder and replaced by their paths."""
    hosted = host_case(pair, plan, known)
    paths = {}
    for name, array in hosted.arrays.items():
        path = Path(scratch) / f"{os.getpid()}-{next(_NAMES)}.npy"
        save_scratch(path, array)
        paths[name] = path
    hosted.arrays = paths  # type: ignore[assignment]
    return hosted


def _receive(hosted: HostedCase) -> HostedCase:
    """Map a worker's arrays (read-only) and delete their files: the mapping outlives the name on Linux."""
    arrays = {}
    for name, path in hosted.arrays.items():
        arrays[name] = np.load(path, mmap_mode="r", allow_pickle=False)
        Path(path).unlink(missing_ok=True)  # type: ignore[arg-type]
    hosted.arrays = arrays
    return hosted


class HostPool:
    """`workers` processes running `host_case` ahead of the main process, results delivered in order."""

    def __init__(self, workers: int):
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._scratch: ScratchFolder | None = None

    def __enter__(self) -> HostPool:
        if self.workers > 0:
            self._scratch = ScratchFolder()
            self._pool = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"), initializer=_init_worker)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._scratch is not None:
            self._scratch.close()

    def share(self, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        """Arrays for tasks: written to the scratch folder (workers map them), or themselves when inline."""
        if self._scratch is None:
            return dict(arrays)
        paths = {}
        for name, array in arrays.items():
            path = self._scratch.path / f"shared-{os.getpid()}-{next(_NAMES)}.npy"
            save_scratch(path, array)
            paths[name] = str(path)
        return paths

    def map(self, function: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]) -> list[Any]:
        """function(*task) for every task, in order, in the workers when there are any."""
        if self._pool is None:
            return [function(*task) for task in tasks]
        return [future.result() for future in [self._pool.submit(function, *task) for task in tasks]]

    def cases(self, pairs: Sequence[VideoPair], plan: CasePlan,
              known: Callable[[str], Mapping[str, Any] | None]) -> Iterator[HostedCase]:
        """Each pair's host side, in the order given; with workers, up to 2 × workers cases ahead."""
        if self._pool is None or self._scratch is None:
            for pair in pairs:
                yield host_case(pair, plan, known(pair.case_id))
            return
        scratch = str(self._scratch.path)
        remaining = iter(pairs)
        queue: deque[Future[HostedCase]] = deque(
            self._pool.submit(_host_in_worker, pair, plan, known(pair.case_id), scratch)
            for pair in islice(remaining, 2 * self.workers))
        while queue:
            hosted = _receive(queue.popleft().result())
            following = next(remaining, None)
            if following is not None:
                queue.append(self._pool.submit(_host_in_worker, following, plan, known(following.case_id), scratch))
            yield hosted
