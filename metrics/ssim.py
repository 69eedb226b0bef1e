"""SSIM on grayscale frames, by scikit-image, with the window and covariance a protocol declares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from a2bench.metrics.base import FrameMetric
from a2bench.metrics.registry import METRICS


def to_gray(frames: np.ndarray) -> np.ndarray:
    """uint8 RGB → uint8 gray with OpenCV's weights (the DisCo script's BGR2GRAY on BGR-loaded frames)."""
    import cv2

    return np.stack([cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) for frame in frames])


@dataclass(frozen=True)
class SSIMParams:
    """`uniform`: skimage's default 7×7 box window; `gaussian`: Wang et al.'s 11×11 window of σ = 1.5.
    `sample` covariance divides by N − 1 (skimage's default), `population` by N (Wang et al.)."""

    window: Literal["uniform", "gaussian"] = "uniform"
    covariance: Literal["sample", "population"] = "sample"
    sigma: float = 1.5
    data_range: float = 255.0


@METRICS.register
class SSIM(FrameMetric):
    """skimage's structural_similarity on OpenCV gray uint8 frames, window and covariance as declared."""

    kind = "ssim"
    label = "SSIM"
    higher_is_better = True
    Params = SSIMParams

    def describe(self) -> str:
        p = self.params
        window = "7×7 uniform window" if p.window == "uniform" else f"Gaussian window σ={p.sigma:g} (11×11)"
        return f"Grayscale SSIM (OpenCV gray, scikit-image), {window}, {p.covariance} covariance."

    def per_frame(self, pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
        from skimage.metrics import structural_similarity

        p = self.params
        options = {"data_range": p.data_range, "use_sample_covariance": p.covariance == "sample"}
        if p.window == "gaussian":
            options.update(gaussian_weights=True, sigma=p.sigma)
        return np.array([structural_similarity(a, b, **options) for a, b in zip(to_gray(pred), to_gray(gt),
                                                                                  strict=True)], dtype=np.float64)
