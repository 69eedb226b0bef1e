"""`static`: repeat the reference image for every frame — the lower bound any method must beat."""

from __future__ import annotations

import cv2
import numpy as np

from a2bench.generate.adapter import Adapter, GenerationRequest, register_adapter


def fit_to_size(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize an image to (H, W) with area interpolation when its size differs."""
    height, width = size
    if image.shape[:2] == (height, width):
        return image
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


@register_adapter
class StaticBaseline(Adapter):
    """Outputs the reference image unchanged in every frame."""

    name = "static"
    description = "Repeats the reference image (lower bound)."

    def generate(self, request: GenerationRequest) -> np.ndarray:
        frame = fit_to_size(request.reference_image, request.output_size)
        return np.repeat(frame[None], len(request.driving_poses), axis=0)
