"""Baselines: static repeats the reference; pose-warp must beat it on synth-mini."""

from __future__ import annotations

import numpy as np
import pytest

from a2bench.data.suites import Suite
from a2bench.errors import UnknownNameError
from a2bench.generate.adapter import GenerationRequest, adapter_names, get_adapter
from a2bench.generate.request import build_request
from a2bench.metrics import get_metric
from a2bench.video.io import read_video


def test_registry_lists_both_baselines() -> None:
    assert {"static", "pose-warp"} <= set(adapter_names())
    with pytest.raises(UnknownNameError, match="pose-warp"):
        get_adapter("posewarp")


def test_static_repeats_the_reference_at_the_requested_size() -> None:
    image = np.random.default_rng(0).integers(0, 256, (32, 48, 3), dtype=np.uint8)
    poses = np.zeros((5, 18, 3))
    out = get_adapter("static").generate(GenerationRequest(image, poses, (32, 48)))
    assert out.shape == (5, 32, 48, 3)
    assert all(np.array_equal(frame, image) for frame in out)


def test_pose_warp_with_identical_poses_reproduces_the_reference(synth_mini: Suite) -> None:
    case = synth_mini.cases()[0]
    request = build_request(case, (256, 256), seed=0)
    still = GenerationRequest(request.reference_image, request.reference_pose[None].repeat(2, axis=0), (256, 256),
                              request.reference_pose)
    out = get_adapter("pose-warp").generate(still)
    psnr = get_metric("animatex-paper", "psnr").per_frame(out, request.reference_image[None].repeat(2, axis=0))
    assert psnr.min() > 35


@pytest.mark.slow
def test_pose_warp_beats_static_on_psnr_and_ssim(synth_mini: Suite) -> None:
    psnr, ssim = get_metric("animatex-paper", "psnr"), get_metric("animatex-paper", "ssim")
    scores = {name: {"psnr": [], "ssim": []} for name in ("static", "pose-warp")}
    for case in synth_mini.cases():
        request = build_request(case, (256, 256), seed=0)
        gt = read_video(case.ground_truth)
        for name in scores:
            frames = get_adapter(name).generate(request)
            scores[name]["psnr"].append(psnr.per_frame(frames, gt).mean())
            scores[name]["ssim"].append(ssim.per_frame(frames, gt).mean())
    assert np.mean(scores["pose-warp"]["psnr"]) > np.mean(scores["static"]["psnr"]) + 3
    assert np.mean(scores["pose-warp"]["ssim"]) > np.mean(scores["static"]["ssim"]) + 0.05
