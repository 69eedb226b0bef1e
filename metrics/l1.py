"""L1 as the DisCo toolkit reports it: mean absolute difference on 0–255, divided by H·W."""

from __future__ import annotations

import numpy as np

from a2bench.metrics.base import FrameMetric
from a2bench.metrics.psnr import frame_differences
from a2bench.metrics.registry import METRICS


@METRICS.register
class L1(FrameMetric):
    """mean(|a−b|)/(H·W) over all pixels and channels: why published values are around 1e-4."""

    kind = "l1"
    label = "L1"
    higher_is_better = False

    def describe(self) -> str:
        return "Mean absolute error on the 0–255 scale divided by H·W (the paper's convention)."

    def per_frame(self, pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
        """Sums of integers below 2^53 for uint8 frames: exact in any order, as a float64 mean."""
        height, width = gt.shape[1:3]
        means = [np.abs(diff).sum() / diff.size for diff in frame_differences(pred, gt)]
        return np.array(means, dtype=np.float64) / (height * width)
