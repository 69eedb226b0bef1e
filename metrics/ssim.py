"""SSIM on grayscale frames: scikit-image defaults (paper) or Wang et al.'s Gaussian form (a2bench-v1)."""

from __future__ import annotations

import cv2
import numpy as np
from skimage.metrics import structural_similarity

from a2bench.metrics.base import FrameMetric
from a2bench.metrics.registry import register


def to_gray(frames: np.ndarray) -> np.ndarray:
    """uint8 RGB → uint8 gray with OpenCV's weights (the DisCo script's BGR2GRAY on BGR-loaded frames)."""
    return np.stack([cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) for frame in frames])


@register("animatex-paper")
class SSIM(FrameMetric):
    """skimage defaults on uint8 gray: 7×7 uniform window, sample covariance, data range 255."""

    name = "ssim"
    label = "SSIM"
    higher_is_better = True
    description = "Grayscale SSIM with scikit-image defaults (7×7 uniform window, sample covariance)."

    def per_frame(self, pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
        return np.array([structural_similarity(p, g) for p, g in zip(to_gray(pred), to_gray(gt), strict=True)],
                        dtype=np.float64)


@register("a2bench-v1")
class GaussianSSIM(FrameMetric):
    """Wang et al. (2004): 11×11 Gaussian window σ=1.5, population covariance, on uint8 gray."""

    name = "ssim"
    label = "SSIM"
    higher_is_better = True
    description = "Grayscale SSIM as Wang et al. define it (Gaussian σ=1.5 window, population covariance)."

    def per_frame(self, pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
        return np.array(
            [structural_similarity(p, g, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                   data_range=255)
             for p, g in zip(to_gray(pred), to_gray(gt), strict=True)],
            dtype=np.float64,
        )
