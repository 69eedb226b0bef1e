"""PSNR* (float, the paper's fix) and the legacy uint8 PSNR with its wrap-around, kept for old tables."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from a2bench.metrics.base import FrameMetric
from a2bench.metrics.registry import METRICS

PEAK = 255.0
PSNR_OF_IDENTICAL = 100.0


def frame_differences(pred: np.ndarray, gt: np.ndarray) -> Iterator[np.ndarray]:
    """pred − gt of each aligned frame pair, flat, in float64: one frame's temporary at a time."""
    for a, b in zip(pred, gt, strict=True):
        yield np.subtract(a, b, dtype=np.float64).ravel()


def psnr_from_mse(mse: np.ndarray) -> np.ndarray:
    """20·log10(255/√MSE), and 100 where MSE is 0 (the DisCo convention)."""
    mse = np.asarray(mse, dtype=np.float64)
    with np.errstate(divide="ignore"):
        values = 20.0 * np.log10(PEAK / np.sqrt(mse))
    return np.where(mse == 0, PSNR_OF_IDENTICAL, values)


@METRICS.register
class PSNR(FrameMetric):
    """PSNR*: MSE over all pixels and channels in float64 on the 0–255 scale."""

    kind = "psnr"
    label = "PSNR*"
    higher_is_better = True

    def describe(self) -> str:
        return "Peak signal-to-noise ratio in float64 (no uint8 overflow); 100 for identical frames."

    def per_frame(self, pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
        """From the squared errors' dot product: for uint8 frames every partial sum is an integer below 2^53, so
        it is exact in any summation order (bit-identical to a float64 mean of the squares)."""
        squared = [diff @ diff / diff.size for diff in frame_differences(pred, gt)]
        return psnr_from_mse(np.array(squared, dtype=np.float64))


@METRICS.register
class LegacyPSNR(FrameMetric):
    """The original script's PSNR: uint8 difference and square, both wrapping modulo 256 (DisCo#86)."""

    kind = "psnr_legacy"
    label = "PSNR (legacy uint8)"
    higher_is_better = True

    def describe(self) -> str:
        return "Reproduces the uint8 overflow of older papers' PSNR; only for comparing with them."

    def per_frame(self, pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
        """Integer sums of the wrapped squares (exact, as their float64 mean would be)."""
        wrapped = pred.astype(np.uint8) - gt.astype(np.uint8)
        squared = wrapped * wrapped
        return psnr_from_mse(squared.sum(axis=(1, 2, 3), dtype=np.int64) / np.prod(squared.shape[1:]))
