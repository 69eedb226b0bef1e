"""Pixel metrics against independent float64 / scikit-image computations and analytic cases."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from a2bench.errors import UnknownNameError
from a2bench.metrics import get_metric, get_protocol, metric_names, resolve_metrics

RNG = np.random.default_rng(7)


def random_frames(t: int = 3, h: int = 48, w: int = 64) -> np.ndarray:
    return RNG.integers(0, 256, size=(t, h, w, 3), dtype=np.uint8)


def paper(name: str):
    return get_metric("animatex-paper", name)


def test_psnr_matches_skimage_float64() -> None:
    pred, gt = random_frames(), random_frames()
    ours = paper("psnr").per_frame(pred, gt)
    reference = [peak_signal_noise_ratio(g.astype(np.float64), p.astype(np.float64), data_range=255)
                 for p, g in zip(pred, gt, strict=True)]
    np.testing.assert_allclose(ours, reference, rtol=1e-6)


def test_psnr_and_l1_are_bit_identical_to_float64_means_at_full_size() -> None:
    """The per-frame dot products and sums are exact for uint8 frames (integers below 2^53), so they equal
    scikit-image's float64 mean squared error, numpy's mean absolute error and the legacy script's float64
    mean of wrapped squares bit for bit, at 768×512."""
    from skimage.metrics import mean_squared_error

    pred = random_frames(t=2, h=768, w=512)
    gt = np.clip(pred.astype(np.int16) + RNG.integers(-40, 41, pred.shape), 0, 255).astype(np.uint8)
    mse = np.array([mean_squared_error(g, p) for p, g in zip(pred, gt, strict=True)])
    assert np.array_equal(paper("psnr").per_frame(pred, gt), 20 * np.log10(255 / np.sqrt(mse)))
    absolute = np.abs(pred.astype(np.float64) - gt.astype(np.float64)).mean(axis=(1, 2, 3)) / (768 * 512)
    assert np.array_equal(paper("l1").per_frame(pred, gt), absolute)
    wrapped = pred - gt
    legacy = np.mean((wrapped * wrapped).astype(np.float64), axis=(1, 2, 3))
    assert np.array_equal(paper("psnr_legacy").per_frame(pred, gt), 20 * np.log10(255 / np.sqrt(legacy)))


def test_psnr_has_no_uint8_overflow() -> None:
    gt = np.zeros((1, 8, 8, 3), np.uint8)
    pred = np.full((1, 8, 8, 3), 10, np.uint8)
    assert paper("psnr").per_frame(gt, pred)[0] == pytest.approx(20 * np.log10(255 / 10), rel=1e-12)
    assert paper("psnr").per_frame(pred, gt)[0] == pytest.approx(20 * np.log10(255 / 10), rel=1e-12)


def test_legacy_psnr_reproduces_the_wraparound() -> None:
    gt = np.zeros((1, 8, 8, 3), np.uint8)
    pred = np.full((1, 8, 8, 3), 10, np.uint8)
    # 0 − 10 wraps to 246 and 246² wraps to 246² mod 256 = 100; 10 − 0 = 10, 10² = 100: both give MSE 100.
    assert paper("psnr_legacy").per_frame(gt, pred)[0] == pytest.approx(20 * np.log10(255 / 10))
    pred = np.full((1, 8, 8, 3), 16, np.uint8)  # 16² = 256 wraps to 0: the legacy script reports 100 dB
    assert paper("psnr_legacy").per_frame(pred, gt)[0] == 100.0
    assert paper("psnr").per_frame(pred, gt)[0] == pytest.approx(20 * np.log10(255 / 16))


def test_ssim_matches_skimage_defaults_on_opencv_gray() -> None:
    pred, gt = random_frames(), random_frames()
    gray = [(cv2.cvtColor(p[..., ::-1].copy(), cv2.COLOR_BGR2GRAY), cv2.cvtColor(g[..., ::-1].copy(),
                                                                                  cv2.COLOR_BGR2GRAY))
            for p, g in zip(pred, gt, strict=True)]
    reference = [structural_similarity(a, b, data_range=255) for a, b in gray]
    np.testing.assert_allclose(paper("ssim").per_frame(pred, gt), reference, rtol=1e-6)


def test_a2bench_v1_ssim_is_gaussian_with_population_covariance() -> None:
    pred, gt = random_frames(), random_frames()
    gray_p = [cv2.cvtColor(p, cv2.COLOR_RGB2GRAY) for p in pred]
    gray_g = [cv2.cvtColor(g, cv2.COLOR_RGB2GRAY) for g in gt]
    reference = [structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                       data_range=255) for a, b in zip(gray_p, gray_g, strict=True)]
    np.testing.assert_allclose(get_metric("a2bench-v1", "ssim").per_frame(pred, gt), reference, rtol=1e-6)


def test_l1_is_mean_absolute_difference_over_hw() -> None:
    pred, gt = random_frames(h=30, w=40), random_frames(h=30, w=40)
    reference = np.abs(pred.astype(np.float64) - gt.astype(np.float64)).mean(axis=(1, 2, 3)) / (30 * 40)
    np.testing.assert_allclose(paper("l1").per_frame(pred, gt), reference, rtol=1e-12)


def test_identical_frames_give_the_analytic_values() -> None:
    frames = random_frames()
    assert np.all(paper("psnr").per_frame(frames, frames) == 100.0)
    np.testing.assert_allclose(paper("ssim").per_frame(frames, frames), 1.0)
    assert np.all(paper("l1").per_frame(frames, frames) == 0.0)


def test_protocol_resizes_predictions_with_opencv_bilinear() -> None:
    pred, gt = random_frames(h=24, w=32), random_frames(h=48, w=64)
    aligned = get_protocol("animatex-paper").align(pred, gt)
    assert aligned.shape == gt.shape
    np.testing.assert_array_equal(aligned[1], cv2.resize(pred[1], (64, 48), interpolation=cv2.INTER_LINEAR))


def test_unknown_names_are_rejected_with_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match="animatex-paper"):
        get_protocol("paper")
    with pytest.raises(UnknownNameError, match="psnr"):
        resolve_metrics("animatex-paper", ["psnrr"])


def test_legacy_psnr_is_only_in_the_paper_protocol() -> None:
    assert "psnr_legacy" in metric_names("animatex-paper")
    assert "psnr_legacy" not in metric_names("a2bench-v1")
