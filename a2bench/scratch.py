"""The scratch folder through which worker processes hand arrays to the main process, and its cleanup after a
run that was killed.

A live folder holds a lock (`flock`) on its `.owner.lock` for as long as its a2bench process runs; the kernel
releases it when that process dies, however it dies. A new pool removes the folders under its scratch root
whose lock is free and that belong to this user, so a killed run's arrays do not fill a RAM disk until the
next reboot. Folders without the lock file (another program's, or older a2bench's) are left alone.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

import numpy as np

from a2bench.errors import A2BenchError

RAM_DISK = "/dev/shm"
RAM_DISK_MIN_FREE = 4 * 2**30  # bytes; Docker's default /dev/shm holds 64 MB, less than one A²Bench case in flight
PREFIX = "a2bench-scratch-"
LOCK_NAME = ".owner.lock"
NO_WORKERS = "--workers 0 to keep all work in one process"


def scratch_root() -> str | None:
    """Where arrays are handed over: $TMPDIR when set (the user's or the job scheduler's choice), else the
    RAM-backed /dev/shm when it has room for many cases in flight, else the system's temporary folder (on disk,
    but recent files stay in the page cache)."""
    if os.environ.get("TMPDIR"):
        return os.environ["TMPDIR"]
    usable = os.path.isdir(RAM_DISK) and os.access(RAM_DISK, os.W_OK)
    return RAM_DISK if usable and shutil.disk_usage(RAM_DISK).free >= RAM_DISK_MIN_FREE else None


def save_scratch(path: Path, array: np.ndarray) -> None:
    """An array handed to or from a worker, as `.npy`; a full or failing scratch folder is named with its fix."""
    try:
        np.save(path, np.ascontiguousarray(array), allow_pickle=False)
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise A2BenchError(f"cannot write the worker processes' scratch file ({exc.strerror or exc})",
                           path=path.parent, fix=f"free space there or set $TMPDIR to a folder with room, or pass "
                           f"{NO_WORKERS}") from None


class ScratchFolder:
    """A new scratch folder under `scratch_root()`, locked by this process until `close` removes it; creating
    one first removes the folders of a2bench processes that are gone."""

    def __init__(self) -> None:
        root = scratch_root()
        try:
            remove_abandoned(Path(root or tempfile.gettempdir()))
            self.path = Path(tempfile.mkdtemp(prefix=PREFIX, dir=root))
            self._lock = _claim(self.path)
        except OSError as exc:
            raise A2BenchError(f"cannot create the worker processes' scratch folder ({exc.strerror or exc})",
                               path=root or tempfile.gettempdir(), fix="make it writable or set $TMPDIR to a "
                               f"writable folder, or pass {NO_WORKERS}") from None

    def close(self) -> None:
        """Remove the folder, then release the lock (so no other process removes it meanwhile)."""
        shutil.rmtree(self.path, ignore_errors=True)
        self._lock.close()


def _claim(folder: Path) -> BinaryIO:
    """The open, locked `.owner.lock` of a new folder: locked under a temporary name, then renamed into place,
    so another process never finds the lock file unlocked while its owner lives."""
    staging = folder / f"{LOCK_NAME}.{os.getpid()}"
    lock = open(staging, "wb")  # noqa: SIM115 — held open for the folder's lifetime
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    staging.rename(folder / LOCK_NAME)
    return lock


def remove_abandoned(root: Path) -> None:
    """Remove this user's scratch folders under `root` whose owner is gone (their lock is free)."""
    for folder in root.glob(PREFIX + "*"):
        try:
            if folder.is_symlink() or folder.lstat().st_uid != os.getuid():
                continue
            with open(folder / LOCK_NAME, "rb") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(folder)
        except OSError:  # no lock file (not ours, or older a2bench's), held by a live run, or not removable
            continue
