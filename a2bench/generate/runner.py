"""Run a method over a suite's cases: one video per (method, case, seed), written atomically, resumable."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from a2bench.data.poses.format import load_poses
from a2bench.data.suites import Case
from a2bench.errors import DataError
from a2bench.generate.adapter import Adapter, GenerationRequest
from a2bench.store import Store
from a2bench.video.io import read_image, write_video


def build_request(case: Case, size: tuple[int, int], seed: int) -> GenerationRequest:
    """A request from a case's files, keypoints scaled to the output size (H, W)."""
    if case.poses is None:
        raise DataError(f"case '{case.id}' has no pose sequence", path=case.reference.parent,
                        fix="derive poses at import (a2bench data import)")
    reference_pose = load_poses(case.reference_pose).pixels(size)[0] if case.reference_pose else None
    return GenerationRequest(reference_image=read_image(case.reference),
                             driving_poses=load_poses(case.poses).pixels(size), output_size=size,
                             reference_pose=reference_pose, seed=seed)


def run_method(adapter: Adapter, cases: Sequence[Case], size: tuple[int, int], out_dir: Path, store: Store,
               run_id: int, seed: int = 0, on_case: Callable[[str], None] | None = None) -> dict[str, Path]:
    """Generate every case not yet generated in this run; returns case id → video path."""
    videos = {}
    for case in cases:
        path = store.video(run_id, adapter.name, case.id, seed)
        if path is None or not path.exists():
            frames = adapter.generate(build_request(case, size, seed))
            path = write_video(out_dir / adapter.name / case.id, frames)
            store.record_video(run_id, adapter.name, case.id, seed, path)
        videos[case.id] = path
        if on_case:
            on_case(case.id)
    return videos
