"""The local executor: one worker process per device in `--devices`, each running one job at a time.

The coordinator (the calling process) hands out jobs and records results; a worker that dies (a crash in an
adapter) fails its job and is replaced; a job running past its time limit has its worker killed. Workers are
started with `spawn`, ignore Ctrl-C (the coordinator stops them) and die with the coordinator.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

from a2bench.generate.process import die_with_parent

if TYPE_CHECKING:  # imported by workers only after their thread counts are set
    from a2bench.generate.job import JobResult, JobSpec

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def _worker(connection: Connection, device: str, threads: int) -> None:
    """A worker's loop: receive a job, run it, send the result; stop on None or when the coordinator is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    import cv2

    cv2.setNumThreads(threads)
    from a2bench.generate.job import execute

    while True:
        try:
            spec = connection.recv()
        except (EOFError, OSError):
            return
        if spec is None:
            return
        connection.send(execute(spec, device))


@dataclass
class _Worker:
    device: str
    process: Any
    connection: Connection
    job: JobSpec | None = None
    started: float = 0.0

    def deadline(self) -> float | None:
        if self.job is None or self.job.watchdog is None:
            return None
        return self.started + self.job.watchdog


def _start(context: Any, device: str, threads: int) -> _Worker:
    parent, child = context.Pipe()
    process = context.Process(target=_worker, args=(child, device, threads), name=f"a2bench-worker-{device}",
                              daemon=True)
    process.start()
    child.close()
    return _Worker(device, process, parent)


def _stop(worker: _Worker, kill: bool = False) -> None:
    if kill:
        worker.process.kill()
    else:
        with contextlib.suppress(BrokenPipeError, OSError):
            worker.connection.send(None)
    worker.process.join(timeout=10)
    if worker.process.is_alive():
        worker.process.kill()
        worker.process.join()
    worker.connection.close()


def cpu_threads(workers: int) -> int:
    """Threads per worker: the usable cores shared out (oversubscribed BLAS/OpenMP threads run far slower)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores // max(1, workers))


def run_local(specs: Sequence[JobSpec], devices: Sequence[str], on_start: Callable[[JobSpec, str], None],
              on_result: Callable[[JobSpec, JobResult], None]) -> None:
    """Run every job on one worker per device, calling `on_start` as each is handed out and `on_result` as each
    ends (in the calling process, so the store has one writer)."""
    context = multiprocessing.get_context("spawn")
    threads = cpu_threads(len(devices))
    pending = deque(specs)
    workers = [_start(context, device, threads) for device in devices[:max(1, len(specs))]]
    try:
        while pending or any(w.job for w in workers):
            for worker in workers:
                if worker.job is None and pending:
                    worker.job, worker.started = pending.popleft(), time.monotonic()
                    on_start(worker.job, worker.device)
                    worker.connection.send(worker.job)
            busy = [w for w in workers if w.job is not None]
            wait([w.connection for w in busy] + [w.process.sentinel for w in busy], timeout=1.0)
            for index, worker in enumerate(workers):
                if worker.job is None:
                    continue
                spec = worker.job
                result, lost = _collect(worker, spec, time.monotonic() - worker.started)
                if result is None:
                    continue
                worker.job = None
                if lost:
                    _stop(worker, kill=True)
                    workers[index] = _start(context, worker.device, threads)
                on_result(spec, result)
    finally:
        for worker in workers:
            _stop(worker, kill=worker.job is not None)


def _collect(worker: _Worker, spec: JobSpec, seconds: float) -> tuple[JobResult | None, bool]:
    """The worker's result when it has one; a failure, and True (the worker is lost), when it died or ran past
    its deadline; else (None, False)."""
    from a2bench.generate.job import failed

    if worker.connection.poll():
        with contextlib.suppress(EOFError, OSError):
            return worker.connection.recv(), False
    if not worker.process.is_alive():
        return failed(spec, worker.device, f"the worker process died (exit code {worker.process.exitcode}) while "
                      "generating this case", seconds), True
    deadline = worker.deadline()
    if deadline is not None and time.monotonic() > deadline:
        return failed(spec, worker.device, f"the job ran past its time limit of {spec.watchdog:g} s; its worker was "
                      "killed", seconds), True
    return None, False
