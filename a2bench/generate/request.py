"""Build an adapter's request from a case's files: only the inputs it consumes, at its canvas (native size), with
the protocol frame fitted into it (a2bench.generate.geometry)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from a2bench.data.poses.format import PoseSequence, load_poses
from a2bench.data.suites import Case
from a2bench.errors import DataError
from a2bench.generate.adapter import Adapter, GenerationRequest, Input
from a2bench.generate.geometry import Fit
from a2bench.video.io import read_image, read_video


def fit_poses(poses: PoseSequence, fit: Fit) -> PoseSequence:
    """A normalised pose sequence (of the protocol frame) as normalised coordinates of the canvas."""
    if not fit.letterboxed:  # a plain resize keeps normalised coordinates
        return PoseSequence(body=poses.body, image_size=fit.canvas, extra=dict(poses.extra))

    def moved(points: np.ndarray) -> np.ndarray:
        out = points.astype(np.float32).copy()
        out[..., :2] = fit.points(points[..., :2])
        return out

    return PoseSequence(body=moved(poses.body), image_size=fit.canvas,
                        extra={name: moved(part) for name, part in poses.extra.items()})


def _frames(path: Path, role: str, count: int, fit: Fit, case_id: str) -> np.ndarray:
    frames = read_video(path)
    if len(frames) != count:
        raise DataError(f"case '{case_id}' has {count} driving poses but its {role} has {len(frames)} frames",
                        path=path, fix="re-import the case so that poses and frames match")
    return fit.frames(frames)


def build_request(case: Case, size: tuple[int, int], seed: int = 0, adapter: Adapter | None = None,
                  **job: Any) -> GenerationRequest:
    """The request for `case` scored at the protocol size `size` (H, W): the inputs `adapter` consumes (default:
    reference image and poses), at its canvas. `job` sets the remaining request fields (fps, workdir, log,
    device, timeout). Driving frames are the case's `driving` video, else its ground truth."""
    if case.poses is None:
        raise DataError(f"case '{case.id}' has no pose sequence", path=case.reference.parent,
                        fix="derive poses at import (a2bench data import)")
    consumes = adapter.consumes if adapter else frozenset({Input.REFERENCE_IMAGE, Input.POSES})
    fit = Fit.between(size, adapter.canvas(size) if adapter else size)
    poses = fit_poses(load_poses(case.poses), fit)
    reference_poses = fit_poses(load_poses(case.reference_pose), fit) if case.reference_pose else None
    request = GenerationRequest(
        reference_image=fit.image(read_image(case.reference)), driving_poses=poses.pixels(),
        output_size=fit.canvas, seed=seed, case_id=case.id, poses=poses, reference_poses=reference_poses,
        reference_pose=reference_poses.pixels()[0] if reference_poses else None)
    if Input.DRIVING_FRAMES in consumes:
        driving = case.files.get("driving") or case.ground_truth
        if driving is None:
            raise DataError(f"case '{case.id}' has no driving video", path=case.reference.parent,
                            fix="import the case with its video")
        request = replace(request, driving_frames=_frames(driving, "driving video", len(poses), fit, case.id))
    if Input.SKELETON_FRAMES in consumes:
        skeleton = case.files.get("skeleton")
        if skeleton is None:
            raise DataError(f"case '{case.id}' has no skeleton frames", path=case.reference.parent,
                            fix="derive them with `a2bench data derive`")
        request = replace(request, skeleton_frames=_frames(skeleton, "skeleton", len(poses), fit, case.id))
    return replace(request, **job)
