"""Generation cost per method (`methods.NAME.cost`: videos, seconds per video, peak GPU bytes), as text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

GIB = 1024**3


def cost_cells(cost: Mapping[str, Any] | None) -> list[str]:
    """[videos, seconds per video, peak GPU memory] as text; a dash for what was not recorded."""
    cost = cost or {}
    videos = cost.get("videos")
    seconds = cost.get("seconds_per_video")
    peak = cost.get("peak_gpu_bytes")
    return [str(videos) if videos is not None else "—",
            f"{seconds:.1f} s" if seconds is not None else "—",
            f"{peak / GIB:.1f} GiB" if peak is not None else "—"]
