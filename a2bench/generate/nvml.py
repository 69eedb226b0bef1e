"""Peak GPU memory of a job, sampled through NVML (`pip install 'a2bench[gpu]'`, i.e. nvidia-ml-py).

Each job owns its device (one worker per device), so the peak of the device's used memory above its level when
the job started is the job's peak. Without NVML, a driver or a GPU device the figure is None, never a guess.
Jobs' processes see their device with CUDA_DEVICE_ORDER=PCI_BUS_ID, the order NVML counts devices in.
"""

from __future__ import annotations

import os
import threading
from types import ModuleType
from typing import Any

INTERVAL = 0.05


def cuda_index(device: str) -> int | None:
    """The index of a "cuda:N" device ("cuda" is 0); None for other devices."""
    if device == "cuda":
        return 0
    if device.startswith("cuda:") and device[5:].isdigit():
        return int(device[5:])
    return None


def visible_device(device: str) -> str | None:
    """What CUDA_VISIBLE_DEVICES must say for a child process to see `device` as this process sees it: "cuda:N"
    is the N-th device this process may use (as in torch), so under CUDA_VISIBLE_DEVICES=4,5 (as a scheduler or
    Ray sets it) cuda:1 is device 5. None for non-CUDA devices or an index beyond the visible ones."""
    index = cuda_index(device)
    if index is None:
        return None
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return str(index)
    entries = [entry.strip() for entry in visible.split(",") if entry.strip()]
    return entries[index] if index < len(entries) else None


def _nvml() -> ModuleType | None:
    try:
        import pynvml
    except ImportError:
        return None
    return pynvml


class PeakGpuMemory:
    """Context manager sampling a device's used memory in a thread; `peak` is bytes above the start, or None."""

    def __init__(self, device: str, interval: float = INTERVAL):
        self.device = visible_device(device)
        self.interval = interval
        self.peak: int | None = None
        self._nvml: ModuleType | None = None
        self._handle: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._baseline = 0
        self._highest = 0

    def _used(self) -> int:
        return int(self._nvml.nvmlDeviceGetMemoryInfo(self._handle).used)  # type: ignore[union-attr]

    def __enter__(self) -> PeakGpuMemory:
        nvml = _nvml() if self.device is not None else None
        if nvml is None:
            return self
        try:
            nvml.nvmlInit()
            if self.device.isdigit():  # type: ignore[union-attr]
                self._handle = nvml.nvmlDeviceGetHandleByIndex(int(self.device))  # type: ignore[arg-type]
            else:
                self._handle = nvml.nvmlDeviceGetHandleByUUID(self.device)
            self._nvml = nvml
            self._baseline = self._highest = self._used()
        except Exception:  # no driver, no such device: the figure is unknown
            self._nvml = None
            return self
        self._thread = threading.Thread(target=self._sample, name="a2bench-nvml", daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._highest = max(self._highest, self._used())
            except Exception:
                return

    def __exit__(self, *exc: object) -> None:
        if self._nvml is None:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            self._highest = max(self._highest, self._used())
            self.peak = self._highest - self._baseline
        finally:
            self._nvml.nvmlShutdown()
