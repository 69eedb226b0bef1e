"""OpenPose-style skeleton images (coloured limbs on black), the conditioning the models consume."""

from __future__ import annotations

import math

import cv2
import numpy as np

from a2bench.data.poses.format import PoseSequence

# OpenPose body limbs (0-based COCO-18 indices) and colours, as the DWPose/ControlNet renderers draw them.
LIMBS = (
    (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10), (1, 11), (11, 12), (12, 13),
    (1, 0), (0, 14), (14, 16), (0, 15), (15, 17),
)
COLORS = (
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0), (0, 255, 0),
    (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255), (0, 0, 255), (85, 0, 255),
    (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
)
MIN_CONFIDENCE = 0.3


def render_skeleton(keypoints: np.ndarray, height: int, width: int, stick_width: int = 4) -> np.ndarray:
    """Draw one frame's body keypoints (18, 3) given in pixels: limbs as ellipses at 60%, joints as dots."""
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    visible = keypoints[:, 2] >= MIN_CONFIDENCE
    for index, (a, b) in enumerate(LIMBS):
        if not (visible[a] and visible[b]):
            continue
        (xa, ya), (xb, yb) = keypoints[a, :2], keypoints[b, :2]
        length = math.hypot(xa - xb, ya - yb)
        angle = math.degrees(math.atan2(ya - yb, xa - xb))
        polygon = cv2.ellipse2Poly((int((xa + xb) / 2), int((ya + yb) / 2)), (int(length / 2), stick_width),
                                   int(angle), 0, 360, 1)
        limb = canvas.copy()
        cv2.fillConvexPoly(limb, polygon, COLORS[index])
        canvas = cv2.addWeighted(canvas, 0.4, limb, 0.6, 0)
    for index in np.flatnonzero(visible):
        x, y = keypoints[index, :2]
        cv2.circle(canvas, (int(x), int(y)), 4, COLORS[index], thickness=-1)
    return canvas


def render_skeleton_video(poses: PoseSequence) -> np.ndarray:
    """Render every frame of a pose sequence at its image size: uint8 (T, H, W, 3)."""
    height, width = poses.image_size
    pixels = poses.pixels()
    return np.stack([render_skeleton(frame, height, width) for frame in pixels])
