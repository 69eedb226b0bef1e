"""One job — a case animated by a method with a seed — run start to finish wherever an executor puts it: build
the request, call the adapter, normalise its output to the protocol, write the video atomically. A job never
raises: whatever goes wrong becomes its recorded reason, with the tail of its log."""

from __future__ import annotations

import shutil
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from a2bench.data.suites import Case
from a2bench.errors import A2BenchError
from a2bench.generate.adapter import get_adapter
from a2bench.generate.config import MethodConfig
from a2bench.generate.geometry import Fit
from a2bench.generate.normalise import JobFailed, decode_output, normalise
from a2bench.generate.nvml import PeakGpuMemory
from a2bench.generate.process import log_tail
from a2bench.generate.request import build_request
from a2bench.video.io import write_video


@dataclass(frozen=True)
class JobSpec:
    """Everything a worker needs to run a job (picklable, for worker processes and Ray tasks)."""

    method: str
    case_id: str
    seed: int
    setting: str
    files: dict[str, Path]
    size: tuple[int, int]
    fps: int
    output: Path
    workdir: Path
    log: Path
    config: MethodConfig | None = None
    timeout: float | None = None
    watchdog: float | None = None  # seconds after which the executor gives up on the job and kills its worker

    @property
    def key(self) -> tuple[str, str, int, str]:
        return (self.method, self.case_id, self.seed, self.setting)


@dataclass
class JobResult:
    """How a job ended: done (with its video) or failed (with the reason and the log's tail)."""

    done: bool
    device: str
    seconds: float
    path: Path | None = None
    reason: str | None = None
    log_tail: str = ""
    peak_gpu_bytes: int | None = None
    normalised: dict[str, str] = field(default_factory=dict)


def _append(log: Path, text: str) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a", encoding="utf-8") as stream:
        stream.write(text if text.endswith("\n") else text + "\n")


def execute(spec: JobSpec, device: str) -> JobResult:
    """Run one job on `device` ("cpu" or "cuda:N")."""
    started = time.monotonic()
    memory = PeakGpuMemory(device)
    try:
        adapter = get_adapter(spec.method, spec.config)
        readiness = adapter.readiness()
        if not readiness.ready:
            raise JobFailed(f"{spec.method} is not ready: {'; '.join(readiness.missing)}")
        shutil.rmtree(spec.workdir, ignore_errors=True)
        spec.workdir.mkdir(parents=True)
        spec.log.parent.mkdir(parents=True, exist_ok=True)
        spec.log.write_text(f"a2bench job {spec.method} / {spec.case_id} / seed {spec.seed} on {device}\n",
                            encoding="utf-8")
        case = Case(spec.case_id, dict(spec.files))
        request = build_request(case, spec.size, spec.seed, adapter, fps=spec.fps, workdir=spec.workdir,
                                log=spec.log, device=device, timeout=spec.timeout)
        with memory:
            output = adapter.generate(request)
        frames, source_fps = decode_output(output)
        frames, normalised = normalise(frames, Fit.between(spec.size, adapter.canvas(spec.size)), request.frames,
                                       spec.fps, source_fps)
        if request.notes:
            normalised["inputs"] = "; ".join(request.notes)
        write_video(spec.output, frames)
        shutil.rmtree(spec.workdir, ignore_errors=True)
        return JobResult(True, device, time.monotonic() - started, spec.output, peak_gpu_bytes=memory.peak,
                         normalised=normalised)
    except A2BenchError as exc:
        reason = exc.line()
    except Exception as exc:  # a bug in an adapter must fail its job, not the run
        reason = f"{type(exc).__name__}: {exc}"
        _append(spec.log, traceback.format_exc())
    _append(spec.log, f"a2bench: job failed: {reason}")
    return JobResult(False, device, time.monotonic() - started, reason=reason, log_tail=log_tail(spec.log),
                     peak_gpu_bytes=memory.peak)


def failed(spec: JobSpec, device: str, reason: str, seconds: float = 0.0, **extra: Any) -> JobResult:
    """A job that an executor had to give up on (worker died, time limit), its reason logged."""
    _append(spec.log, f"a2bench: job failed: {reason}")
    return JobResult(False, device, seconds, reason=reason, log_tail=log_tail(spec.log), **extra)
