"""Run a method over a suite's cases: one video per (method, case, seed), written atomically, resumable."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from a2bench.atomic import remove_leftovers
from a2bench.data.poses.format import load_poses
from a2bench.data.suites import Case
from a2bench.errors import DataError
from a2bench.generate.adapter import Adapter, GenerationRequest
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


def run_method(adapter: Adapter, cases: Sequence[Case], size: tuple[int, int], out_dir: Path, seed: int = 0,
               on_case: Callable[[str], None] | None = None) -> Path:
    """Generate every case whose video is not there yet into `out_dir/<method>/<case>`; returns that folder.

    Videos are renamed into place only when complete, so a video that exists is a finished one, and the
    temporary folders a killed run left behind are removed first.
    """
    folder = out_dir / adapter.name
    remove_leftovers(folder)
    for case in cases:
        path = folder / case.id
        if not path.exists():
            write_video(path, adapter.generate(build_request(case, size, seed)))
        if on_case:
            on_case(case.id)
    return folder
