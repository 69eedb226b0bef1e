"""Render a character from keypoints: textured parts, each warped along its bone and composited.

Parts are drawn once in a canonical frame (premultiplied RGBA, analytic anti-aliased shapes) and
placed per frame by the affine map taking the canonical bone onto the keypoints' bone, so any pose
sequence, also a retargeted one, renders the same character exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from a2bench.data.poses.format import JOINT
from a2bench.data.synth.characters import Character

PAD = 4


@dataclass(frozen=True)
class Part:
    """A canonical patch and its bone (joint names, canonical end points in patch pixels)."""

    rgba: np.ndarray
    joints: tuple[str, str]
    anchor_a: tuple[float, float]
    anchor_b: tuple[float, float]
    mode: str  # "stretch": along the bone only; "uniform": uniform scale; "torso": width from shoulders
    width_ref: float = 1.0


def _grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    return xs + 0.5, ys + 0.5


def _segment_distance(xs: np.ndarray, ys: np.ndarray, a: tuple[float, float], b: tuple[float, float]) -> np.ndarray:
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    t = np.clip(((xs - ax) * dx + (ys - ay) * dy) / max(dx * dx + dy * dy, 1e-9), 0.0, 1.0)
    return np.hypot(xs - (ax + t * dx), ys - (ay + t * dy))


def _pattern(kind: str, xs: np.ndarray, ys: np.ndarray, period: float) -> np.ndarray:
    """A 0/1 texture mask in patch coordinates."""
    if kind == "stripes":
        return (np.floor((xs + ys) / period) % 2).astype(np.float32)
    if kind == "checker":
        return ((np.floor(xs / period) + np.floor(ys / period)) % 2).astype(np.float32)
    if kind == "dots":
        cx = (np.floor(xs / period) + 0.5) * period
        cy = (np.floor(ys / period) + 0.5) * period
        return (np.hypot(xs - cx, ys - cy) < period * 0.3).astype(np.float32)
    zig = np.abs(((xs / period) % 2) - 1) * period
    return (((ys + zig) / period) % 2 < 1).astype(np.float32)


def _premultiply(color: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return np.concatenate([color * alpha[..., None], alpha[..., None]], axis=-1).astype(np.float32)


def _mix(mask: np.ndarray, first: tuple[int, int, int], second: tuple[int, int, int]) -> np.ndarray:
    a = np.asarray(first, dtype=np.float32) / 255
    b = np.asarray(second, dtype=np.float32) / 255
    return a + (b - a) * mask[..., None]


def limb_part(joints: tuple[str, str], length: float, half_width: float,
              colors: tuple[tuple[int, int, int], tuple[int, int, int]]) -> Part:
    """A capsule along the bone with bands across it and cylinder shading."""
    width = int(np.ceil(2 * half_width + 2 * PAD))
    height = int(np.ceil(length + 2 * half_width + 2 * PAD))
    xs, ys = _grid(height, width)
    a = (width / 2, PAD + half_width)
    b = (width / 2, PAD + half_width + length)
    distance = _segment_distance(xs, ys, a, b)
    alpha = np.clip(half_width + 0.5 - distance, 0, 1)
    bands = (np.floor((ys - a[1]) / max(half_width * 1.2, 2.0)) % 2).astype(np.float32)
    shade = 1.0 - 0.35 * np.clip(np.abs(xs - a[0]) / max(half_width, 1.0), 0, 1) ** 2
    return Part(_premultiply(_mix(bands, *colors) * shade[..., None], alpha), joints, a, b, "stretch")


def _face(xs: np.ndarray, ys: np.ndarray, center: tuple[float, float], radius: float,
          color: np.ndarray) -> np.ndarray:
    """Draw two eyes with pupils and a mouth onto `color` (float RGB in [0, 1])."""
    cx, cy = center
    for sign in (-1, 1):
        ex, ey = cx + sign * 0.35 * radius, cy - 0.2 * radius
        white = np.hypot(xs - ex, ys - ey) < 0.2 * radius
        pupil = np.hypot(xs - ex - 0.05 * radius, ys - ey) < 0.1 * radius
        color[white] = (1.0, 1.0, 1.0)
        color[pupil] = (0.05, 0.05, 0.1)
    ring = np.abs(np.hypot(xs - cx, ys - cy + 0.1 * radius) - 0.5 * radius) < 0.06 * radius
    mouth = ring & (ys > cy + 0.15 * radius)
    color[mouth] = (0.5, 0.1, 0.15)
    return color


def head_part(character: Character, height: int) -> Part:
    """Neck stalk plus a round head with a face and a hair cap, scaled uniformly with the neck→nose bone."""
    radius = character.head_radius * height
    stalk = (character.neck + 0.85 * character.head_radius) * height
    size = int(np.ceil(2 * radius + 2 * PAD))
    total = int(np.ceil(stalk + 1.2 * radius + 2 * PAD))
    xs, ys = _grid(total, size)
    nose = (size / 2, PAD + 1.15 * radius)
    neck = (size / 2, nose[1] + stalk)
    center = (nose[0], nose[1] - 0.15 * radius)
    head = np.clip(radius + 0.5 - np.hypot(xs - center[0], ys - center[1]), 0, 1)
    neck_alpha = np.clip(0.35 * radius + 0.5 - _segment_distance(xs, ys, neck, center), 0, 1)
    alpha = np.maximum(head, neck_alpha)
    color = np.empty((total, size, 3), dtype=np.float32)
    color[:] = np.asarray(character.head_color, dtype=np.float32) / 255
    hair = (ys < center[1] - 0.45 * radius) & (head > 0)
    color[hair] = np.asarray(character.body_colors[1], dtype=np.float32) / 255 * 0.7
    color = _face(xs, ys, (center[0], center[1] + 0.15 * radius), radius, color)
    return Part(_premultiply(color, alpha), ("neck", "nose"), neck, nose, "uniform")


def torso_part(character: Character, height: int) -> Part:
    """The body between neck and mid-hip: ellipse, pear or box, patterned; objects carry the face."""
    length = character.torso * height
    half = character.torso_half_width * height
    width = int(np.ceil(2 * half + 2 * PAD))
    total = int(np.ceil(length * 1.3 + 2 * PAD))
    xs, ys = _grid(total, width)
    neck = (width / 2, PAD + 0.12 * length)
    hip = (width / 2, neck[1] + length)
    cy = (neck[1] + hip[1]) / 2 + 0.02 * length
    u = (xs - width / 2) / half
    v = (ys - cy) / (0.62 * length)
    if character.torso_shape == "box":
        inside = np.maximum(np.abs(u), np.abs(v)) * 1.0
        edge = half * 0.08
        alpha = np.clip((1 - inside) * half / max(edge, 1.0), 0, 1)
    elif character.torso_shape == "pear":
        widen = 0.75 + 0.25 * np.clip(v + 0.5, 0, 1.5)
        alpha = np.clip((1 - np.hypot(u / widen, v)) * half, 0, 1)
    else:
        alpha = np.clip((1 - np.hypot(u, v)) * half, 0, 1)
    rng = np.random.default_rng(character.texture_seed)
    period = float(rng.uniform(0.18, 0.3) * half)
    color = _mix(_pattern(character.pattern, xs, ys, period), *character.body_colors)
    belly = np.hypot((xs - width / 2) / (0.45 * half), (ys - cy - 0.15 * length) / (0.25 * length)) < 1
    color[belly] = color[belly] * 0.5 + 0.5
    if not character.has_head:
        color = _face(xs, ys, (width / 2, neck[1] + character.face_drop * length), 0.6 * character.face_scale * half,
                      color)
    return Part(_premultiply(color, alpha.astype(np.float32)), ("neck", "mid_hip"), neck, hip, "torso",
                width_ref=2 * character.shoulder_half * height)


def build_parts(character: Character, height: int) -> list[Part]:
    """Parts in drawing order: legs, torso, arms, head."""
    scale = float(height)
    w = character.limb_half_width * scale
    colors_r = character.limb_colors
    colors_l = (character.limb_colors[1], character.limb_colors[0])
    parts = []
    for side, colors in (("r", colors_r), ("l", colors_l)):
        parts.append(limb_part((f"{side}_hip", f"{side}_knee"), character.thigh * scale, w, colors))
        parts.append(limb_part((f"{side}_knee", f"{side}_ankle"), character.shin * scale, w * 0.9, colors))
    parts.append(torso_part(character, height))
    if character.has_arms:
        for side, colors in (("r", colors_r), ("l", colors_l)):
            parts.append(limb_part((f"{side}_shoulder", f"{side}_elbow"), character.upper_arm * scale, w * 0.9,
                                   colors))
            parts.append(limb_part((f"{side}_elbow", f"{side}_wrist"), character.forearm * scale, w * 0.8,
                                   colors))
    if character.has_head:
        parts.append(head_part(character, height))
    return parts


def _joint(keypoints: np.ndarray, name: str) -> tuple[np.ndarray, bool]:
    if name == "mid_hip":
        hips = keypoints[[JOINT["r_hip"], JOINT["l_hip"]]]
        return hips[:, :2].mean(axis=0), bool(np.all(hips[:, 2] > 0))
    point = keypoints[JOINT[name]]
    return point[:2], bool(point[2] > 0)


def _placement(part: Part, keypoints: np.ndarray) -> np.ndarray | None:
    """The 2×3 affine map from patch to image for this frame, or None when a joint is missing."""
    a, a_ok = _joint(keypoints, part.joints[0])
    b, b_ok = _joint(keypoints, part.joints[1])
    if not (a_ok and b_ok):
        return None
    pa = np.asarray(part.anchor_a, dtype=np.float64)
    pb = np.asarray(part.anchor_b, dtype=np.float64)
    bone_p, bone_i = pb - pa, b - a
    length_p, length_i = np.hypot(*bone_p), np.hypot(*bone_i)
    if length_i < 1e-6:
        return None
    across_p = np.array([-bone_p[1], bone_p[0]]) / length_p
    across_i = np.array([-bone_i[1], bone_i[0]]) / length_i
    across_scale = 1.0
    if part.mode == "uniform":
        across_scale = length_i / length_p
    elif part.mode == "torso":
        shoulders = keypoints[[JOINT["r_shoulder"], JOINT["l_shoulder"]]]
        if np.all(shoulders[:, 2] > 0):
            across_scale = float(np.clip(np.hypot(*(shoulders[1, :2] - shoulders[0, :2])) / part.width_ref, 0.5, 2.0))
    source = np.float32([pa, pb, pa + across_p])
    target = np.float32([a, b, a + across_i * across_scale])
    return cv2.getAffineTransform(source, target)


def background(height: int, width: int, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> np.ndarray:
    """A static vertical gradient with a darker floor below the ground line, float RGB in [0, 1]."""
    t = (np.arange(height, dtype=np.float32) / max(height - 1, 1))[:, None, None]
    a = np.asarray(top, dtype=np.float32) / 255
    b = np.asarray(bottom, dtype=np.float32) / 255
    image = np.broadcast_to(a + (b - a) * t, (height, width, 3)).copy()
    floor = int(0.93 * height)
    image[floor:] *= 0.8
    return image


def render_frame(parts: list[Part], keypoints: np.ndarray, backdrop: np.ndarray) -> np.ndarray:
    """Composite every part placed by this frame's keypoints (pixels, (18, 3)) over the backdrop."""
    height, width = backdrop.shape[:2]
    canvas = backdrop.copy()
    for part in parts:
        matrix = _placement(part, keypoints)
        if matrix is None:
            continue
        layer = cv2.warpAffine(part.rgba, matrix, (width, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
        canvas = canvas * (1 - layer[..., 3:4]) + layer[..., :3]
    return np.clip(np.rint(canvas * 255), 0, 255).astype(np.uint8)
