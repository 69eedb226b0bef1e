"""Run an external command for a job: argument list (no shell), its own process group, output captured in the
job's log, a time limit after which the whole group is killed, and death with its parent on Linux."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

KILL_GRACE = 10.0  # seconds between SIGTERM and SIGKILL of a timed-out job's process group
TAIL_LINES = 40
TAIL_BYTES = 64 * 1024
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Completed:
    """How a command ended: its exit status (None when killed for its time limit) and wall time."""

    returncode: int | None
    timed_out: bool
    seconds: float


def _libc_prctl():  # type: ignore[no-untyped-def]
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _libc_prctl()


def die_with_parent() -> None:
    """Be killed when the process that started this one dies, even by SIGKILL (Linux; elsewhere nothing)."""
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _kill_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def run_logged(argv: Sequence[str], cwd: Path, env: Mapping[str, str], log: Path,
               timeout: float | None = None, shown_env: Sequence[str] = ()) -> Completed:
    """Run `argv` in `cwd` with `env`, appending its stdout and stderr to `log` after a header (the command, the
    folder and the variables named in `shown_env`); kill its process group when `timeout` seconds pass."""
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(log, "ab") as stream:
        header = [f"$ {subprocess.list2cmdline(list(argv))}", f"cwd: {cwd}"]
        header += [f"{name}={env[name]}" for name in shown_env if name in env]
        stream.write(("\n".join(header) + "\n").encode())
        stream.flush()
        process = subprocess.Popen(list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=stream,
                                   stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent)
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=KILL_GRACE)
            _kill_group(process.pid, signal.SIGKILL)
            process.wait()
            stream.write(f"\na2bench: killed after {timeout:g} s (time limit)\n".encode())
            return Completed(None, True, time.monotonic() - started)
        except BaseException:
            _kill_group(process.pid, signal.SIGKILL)
            process.wait()
            raise
        _kill_group(process.pid, signal.SIGKILL)  # children it left behind
    return Completed(returncode, False, time.monotonic() - started)


def log_tail(log: Path | None, lines: int = TAIL_LINES) -> str:
    """The last lines of a job's log ('' when there is none)."""
    if log is None or not log.is_file():
        return ""
    with open(log, "rb") as stream:
        stream.seek(max(0, log.stat().st_size - TAIL_BYTES))
        text = stream.read().decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])
