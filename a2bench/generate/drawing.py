"""Pose images drawn the way each model family's own preprocessing draws them (written from the repositories'
documented behaviour; see docs/methods/). The models were trained on these exact pictures, so the conventions
matter: which limbs, stick widths, the global 60 % dimming of limbs, hands, face, and the colour channel order
of the stored file.

- `DWPOSE_BODY_FOOT` — Animate-X and UniAnimate (`draw_pose` of their dwpose/util.py, the picture without face):
  18 body points plus the two toe midpoints, 19 limbs, stick width 4, hands; drawn with the colour lists into an
  array that cv2.imwrite stores, so the saved file has red and blue swapped relative to the lists.
- `OPENPOSE_BODY` — Moore-AnimateAnyone (`tools/vid2pose.py`): 17 limbs, hands, face, used as RGB unchanged.
- `MUSEPOSE` — MusePose (`pose_align.py`): 17 limbs with length-dependent widths, hands, no face, drawn on a canvas
  1024 pixels wide, converted BGR→RGB and resized to the target.

Unlike a2bench's own skeleton frames (a2bench.data.poses.render, which blends each limb at 60 %), these dim
the whole canvas once after every limb is drawn, draw feet and hands, and keep each family's channel order.
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass

import numpy as np

from a2bench.data.poses.format import PoseSequence

THRESHOLD = 0.3  # DWPose keeps a keypoint whose score is above this
EPS = 0.01
BODY_COLORS = (
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0), (0, 255, 0),
    (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255), (0, 0, 255), (85, 0, 255),
    (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85), (170, 255, 255), (255, 255, 0),
)
# 1-based point pairs as DWPose lists them; points 19 and 20 are the left and right toe midpoints.
BODY_FOOT_LIMBS = ((2, 3), (2, 6), (3, 4), (4, 5), (6, 7), (7, 8), (2, 9), (9, 10), (10, 11), (2, 12), (12, 13),
                   (13, 14), (2, 1), (1, 15), (15, 17), (1, 16), (16, 18), (14, 19), (11, 20))
OPENPOSE_LIMBS = BODY_FOOT_LIMBS[:17]
HAND_EDGES = ((0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (0, 9), (9, 10), (10, 11), (11, 12),
              (0, 13), (13, 14), (14, 15), (15, 16), (0, 17), (17, 18), (18, 19), (19, 20))
HAND_POINT_COLOR = (0, 0, 255)
FACE_COLOR = (255, 255, 255)
MUSEPOSE_WIDTH = 1024


@dataclass(frozen=True)
class Style:
    """One family's drawing convention."""

    name: str
    limbs: tuple[tuple[int, int], ...]
    points: int  # body points drawn as joints: 20 with the toe midpoints, else 18
    smart_width: bool  # limb and hand line widths grow with their length (MusePose)
    hand_radius: int
    face: bool
    swap_channels: bool  # the stored picture has red and blue exchanged relative to the colour lists
    draw_width: int | None = None  # draw on a canvas this wide, then resize to the target


DWPOSE_BODY_FOOT = Style("dwpose-body-foot", BODY_FOOT_LIMBS, 20, False, 4, False, True)
OPENPOSE_BODY = Style("openpose-body", OPENPOSE_LIMBS, 18, False, 4, True, False)
MUSEPOSE = Style("musepose", OPENPOSE_LIMBS, 18, True, 3, False, True, MUSEPOSE_WIDTH)


def width_for(length: float) -> int:
    """MusePose's line width for a segment of `length` pixels."""
    for limit, width in ((5, 1), (10, 2), (20, 3), (40, 4), (80, 5), (160, 6), (320, 7)):
        if length < limit:
            return width
    return 8


def hidden_points(points: np.ndarray) -> np.ndarray:
    """(n, 3) normalised points with confidence → (n, 2) coordinates, −1 where not above the threshold."""
    xy = points[:, :2].astype(np.float64).copy()
    xy[points[:, 2] <= THRESHOLD] = -1.0
    return xy


def body_and_feet(body: np.ndarray, feet: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """DWPose's 20 body points: coordinates (20, 2) normalised, −1 when hidden, and which are seen (20,) —
    COCO-18, then the left and right toe midpoints (each seen only when both toes of that foot are)."""
    points = np.full((20, 2), -1.0)
    points[:18] = hidden_points(body)
    seen = np.zeros(20, dtype=bool)
    seen[:18] = body[:, 2] > THRESHOLD
    if feet is not None:
        for target, (a, b) in ((18, (0, 1)), (19, (3, 4))):
            if feet[a, 2] > THRESHOLD and feet[b, 2] > THRESHOLD:
                points[target] = (feet[a, :2] + feet[b, :2]) / 2
                seen[target] = True
    return points, seen


def _draw_limbs(canvas: np.ndarray, points: np.ndarray, seen: np.ndarray, style: Style) -> None:
    import cv2

    height, width = canvas.shape[:2]
    for index, (a, b) in enumerate(style.limbs):
        if not (seen[a - 1] and seen[b - 1]):
            continue
        pa, pb = points[a - 1], points[b - 1]
        ys, xs = np.array([pa[1], pb[1]]) * height, np.array([pa[0], pb[0]]) * width
        length = math.hypot(ys[0] - ys[1], xs[0] - xs[1])
        angle = math.degrees(math.atan2(ys[0] - ys[1], xs[0] - xs[1]))
        stick = width_for(length) if style.smart_width else 4
        polygon = cv2.ellipse2Poly((int(xs.mean()), int(ys.mean())), (int(length / 2), stick), int(angle), 0, 360, 1)
        cv2.fillConvexPoly(canvas, polygon, BODY_COLORS[index])


def _draw_hands(canvas: np.ndarray, hands: np.ndarray, style: Style) -> None:
    import cv2

    height, width = canvas.shape[:2]
    for hand in (hands[:21], hands[21:]):
        xy = hidden_points(hand)
        pixels = [(int(x * width), int(y * height)) for x, y in xy]
        for index, (a, b) in enumerate(HAND_EDGES):
            (x1, y1), (x2, y2) = pixels[a], pixels[b]
            if min(x1, y1, x2, y2) > EPS:
                color = tuple(255 * c for c in colorsys.hsv_to_rgb(index / len(HAND_EDGES), 1.0, 1.0))
                thickness = width_for(math.hypot(x1 - x2, y1 - y2)) if style.smart_width else 2
                cv2.line(canvas, (x1, y1), (x2, y2), color, thickness=thickness)
        for x, y in pixels:
            if x > EPS and y > EPS:
                cv2.circle(canvas, (x, y), style.hand_radius, HAND_POINT_COLOR, thickness=-1)


def draw_frame(style: Style, body: np.ndarray, height: int, width: int, feet: np.ndarray | None = None,
               hands: np.ndarray | None = None, face: np.ndarray | None = None) -> np.ndarray:
    """One pose picture (H, W, 3) uint8, RGB as the family's stored file shows it, from normalised points with
    confidence: body (18, 3), feet (6, 3), hands (42, 3), face (68, 3)."""
    import cv2

    draw_h, draw_w = height, width
    if style.draw_width:
        draw_h, draw_w = int(height * style.draw_width / width), style.draw_width
    canvas = np.zeros((draw_h, draw_w, 3), dtype=np.uint8)
    points, seen = body_and_feet(body, feet if style.points == 20 else None)
    _draw_limbs(canvas, points, seen, style)
    canvas = (canvas * 0.6).astype(np.uint8)
    for index, (x, y) in enumerate(points[:style.points]):
        if seen[index]:
            cv2.circle(canvas, (int(x * draw_w), int(y * draw_h)), 4, BODY_COLORS[index], thickness=-1)
    if hands is not None:
        _draw_hands(canvas, hands, style)
    if style.face and face is not None:
        for x, y in hidden_points(face):
            px, py = int(x * draw_w), int(y * draw_h)
            if px > EPS and py > EPS:
                cv2.circle(canvas, (px, py), 3, FACE_COLOR, thickness=-1)
    if style.swap_channels:
        canvas = np.ascontiguousarray(canvas[..., ::-1])
    if (draw_h, draw_w) != (height, width):
        canvas = cv2.resize(canvas, (width, height), interpolation=cv2.INTER_LINEAR)
    return canvas


def draw_sequence(style: Style, poses: PoseSequence, height: int, width: int) -> np.ndarray:
    """Every frame of a normalised pose sequence drawn at (height, width): uint8 (T, H, W, 3)."""
    feet, hands, face = (poses.extra.get(part) for part in ("feet", "hands", "face"))
    return np.stack([draw_frame(style, poses.body[t], height, width,
                                None if feet is None else feet[t], None if hands is None else hands[t],
                                None if face is None else face[t]) for t in range(len(poses))])


def _part(poses: PoseSequence, name: str, count: int) -> np.ndarray:
    """A part's coordinates (T, count, 2), −1 where hidden or absent."""
    part = poses.body if name == "body" else poses.extra.get(name)
    if part is None:
        return np.full((len(poses), count, 2), -1.0, dtype=np.float32)
    return np.stack([hidden_points(frame) for frame in part]).astype(np.float32)


def dwpose_keypoints(poses: PoseSequence, fps: int) -> dict[str, object]:
    """The keypoint pickle Animate-X's process_data.py writes for a video: `bodies` (T, 18, 2) normalised with −1
    where hidden, `body_indices` (T, 18) (j, or −1), `faces` (T, 68, 2), `hands` (T, 2, 21, 2) (left, right),
    `size` (H, W, 3) and `fps`."""
    seen = poses.body[:, :, 2] > THRESHOLD
    return {"bodies": _part(poses, "body", 18),
            "body_indices": np.where(seen, np.arange(18, dtype=np.float32), -1.0).astype(np.float32),
            "faces": _part(poses, "face", 68), "hands": _part(poses, "hands", 42).reshape(len(poses), 2, 21, 2),
            "size": (*poses.image_size, 3), "fps": int(fps)}


def dwpose_detection(poses: PoseSequence, frame: int = 0) -> dict[str, object]:
    """DWposeDetector's result for one frame (what Animate-X reads from `<video>_ref_pose.pkl`): `bodies` with
    `candidate` (20, 2) and `subset` (1, 20), `hands` (2, 21, 2), `faces` (1, 68, 2), normalised, −1 hidden."""
    feet = poses.extra.get("feet")
    points, seen = body_and_feet(poses.body[frame], None if feet is None else feet[frame])
    keypoints = dwpose_keypoints(PoseSequence(poses.body[frame:frame + 1], poses.image_size,
                                              {k: v[frame:frame + 1] for k, v in poses.extra.items()}), 0)
    return {"bodies": {"candidate": points.astype(np.float32),
                       "subset": np.where(seen, np.arange(20, dtype=np.float32), -1.0)[None].astype(np.float32)},
            "hands": keypoints["hands"][0], "faces": keypoints["faces"]}  # type: ignore[index]
