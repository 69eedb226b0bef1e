"""Named, versioned evaluation protocols: how frames are aligned before any metric sees them."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from a2bench.errors import UnknownNameError


def resize_bilinear_opencv(frames: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize uint8 frames with OpenCV's default (bilinear), as the DisCo scripts resize predictions."""
    if frames.shape[1:3] == (height, width):
        return frames
    return np.stack([cv2.resize(frame, (width, height)) for frame in frames])


@dataclass(frozen=True)
class Protocol:
    """A protocol id and version; every stored number names the protocol that produced it."""

    id: str
    version: str
    description: str

    def align(self, pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
        """Bring predicted frames to the ground truth's size (both protocols resize the prediction)."""
        return resize_bilinear_opencv(pred, gt.shape[1], gt.shape[2])


PROTOCOLS: dict[str, Protocol] = {
    "animatex-paper": Protocol(
        id="animatex-paper",
        version="1.0",
        description="The DisCo toolkit as the Animate-X paper used it, with the float PSNR fix (PSNR*).",
    ),
    "a2bench-v1": Protocol(
        id="a2bench-v1",
        version="1.0",
        description="Corrected protocol: standard (Gaussian, population) SSIM; otherwise as animatex-paper "
        "for pixel metrics.",
    ),
}

DEFAULT_PROTOCOL = "animatex-paper"


def get_protocol(name: str) -> Protocol:
    """Look a protocol up by id, with the list of known ids in the error."""
    try:
        return PROTOCOLS[name]
    except KeyError:
        known = ", ".join(sorted(PROTOCOLS))
        raise UnknownNameError(f"unknown protocol '{name}'", fix=f"use one of: {known}") from None
