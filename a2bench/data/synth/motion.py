"""Motion for synthetic characters: joint angles over time and forward kinematics to COCO-18 keypoints.

Angles are in radians from straight down (0) towards image-right (+). Scalar `math` is used so the
keypoints are bit-identical across numpy builds; they are rounded to 1/64 pixel for the same reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from a2bench.data.poses.format import JOINT
from a2bench.data.synth.characters import Character

MOTION_STYLES = ("dance", "walk")
GROUND = 0.92  # feet rest at this fraction of the canvas height


@dataclass(frozen=True)
class Angles:
    """One frame's joint angles and root placement (canvas fractions for the offsets)."""

    lean: float = 0.0
    head_tilt: float = 0.0
    r_arm: float = -0.35
    r_elbow: float = -0.15
    l_arm: float = 0.35
    l_elbow: float = 0.15
    r_thigh: float = -0.06
    r_knee: float = 0.0
    l_thigh: float = 0.06
    l_knee: float = 0.0
    x: float = 0.5
    lift: float = 0.0


REST = Angles()


def _direction(angle: float) -> tuple[float, float]:
    return math.sin(angle), math.cos(angle)


def _step(origin: tuple[float, float], angle: float, length: float) -> tuple[float, float]:
    dx, dy = _direction(angle)
    return origin[0] + dx * length, origin[1] + dy * length


def _head_points(neck: tuple[float, float], up: tuple[float, float], nose: tuple[float, float],
                 radius: float) -> dict[str, tuple[float, float]]:
    side = (-up[1], up[0])  # image-right when upright

    def at(along: float, across: float) -> tuple[float, float]:
        return (nose[0] + up[0] * along * radius + side[0] * across * radius,
                nose[1] + up[1] * along * radius + side[1] * across * radius)

    return {"nose": nose, "r_eye": at(0.35, -0.35), "l_eye": at(0.35, 0.35),
            "r_ear": at(0.15, -0.85), "l_ear": at(0.15, 0.85)}


def forward_kinematics(character: Character, angles: Angles, height: int, width: int) -> np.ndarray:
    """Keypoints (18, 3) in pixels for one frame; confidence 0 for parts the character lacks."""
    scale = float(height)
    c = character
    hip = (0.0, 0.0)
    neck = _step(hip, math.pi + angles.lean, c.torso * scale)
    up = _direction(math.pi + angles.lean + angles.head_tilt)
    side = (-_direction(math.pi + angles.lean)[1], _direction(math.pi + angles.lean)[0])
    points: dict[str, tuple[float, float]] = {"neck": neck}
    if c.has_head:
        nose = (neck[0] + up[0] * (c.neck + 0.85 * c.head_radius) * scale,
                neck[1] + up[1] * (c.neck + 0.85 * c.head_radius) * scale)
        points.update(_head_points(neck, up, nose, c.head_radius * scale))
    else:
        torso_up = _direction(math.pi + angles.lean)
        nose = (neck[0] - torso_up[0] * c.face_drop * c.torso * scale,
                neck[1] - torso_up[1] * c.face_drop * c.torso * scale)
        points.update(_head_points(neck, torso_up, nose, 0.45 * c.face_scale * c.torso_half_width * scale))
    for prefix, sign, arm, elbow in (("r", -1.0, angles.r_arm, angles.r_elbow),
                                     ("l", 1.0, angles.l_arm, angles.l_elbow)):
        shoulder = (neck[0] + side[0] * sign * c.shoulder_half * scale,
                    neck[1] + side[1] * sign * c.shoulder_half * scale)
        points[f"{prefix}_shoulder"] = shoulder
        elbow_point = _step(shoulder, arm + angles.lean, c.upper_arm * scale)
        points[f"{prefix}_elbow"] = elbow_point
        points[f"{prefix}_wrist"] = _step(elbow_point, arm + elbow + angles.lean, c.forearm * scale)
    for prefix, sign, thigh, knee in (("r", -1.0, angles.r_thigh, angles.r_knee),
                                      ("l", 1.0, angles.l_thigh, angles.l_knee)):
        hip_point = (hip[0] + side[0] * sign * c.hip_half * scale, hip[1] + side[1] * sign * c.hip_half * scale)
        points[f"{prefix}_hip"] = hip_point
        knee_point = _step(hip_point, thigh, c.thigh * scale)
        points[f"{prefix}_knee"] = knee_point
        points[f"{prefix}_ankle"] = _step(knee_point, thigh + knee, c.shin * scale)

    ground_shift = GROUND * height - max(points["r_ankle"][1], points["l_ankle"][1]) - angles.lift * height
    keypoints = np.zeros((18, 3), dtype=np.float64)
    for name, (x, y) in points.items():
        keypoints[JOINT[name]] = (round((x + angles.x * width) * 64) / 64, round((y + ground_shift) * 64) / 64, 1.0)
    if not c.has_arms:
        for name in ("r_elbow", "r_wrist", "l_elbow", "l_wrist"):
            keypoints[JOINT[name]] = 0.0
    if not c.has_head:
        for name in ("r_ear", "l_ear"):
            keypoints[JOINT[name]] = 0.0
    return keypoints


def _wave(t: float, frequency: float, phase: float) -> float:
    return math.sin(2 * math.pi * frequency * t + phase)


def motion_angles(style: str, frames: int, fps: float, rng: np.random.Generator) -> list[Angles]:
    """A seeded sequence of joint angles in one of MOTION_STYLES."""
    if style not in MOTION_STYLES:
        raise ValueError(f"unknown motion style {style!r}; known: {', '.join(MOTION_STYLES)}")
    f = [float(v) for v in rng.uniform(0.35, 0.8, size=6)]
    p = [float(v) for v in rng.uniform(0, 2 * math.pi, size=6)]
    amp = [float(v) for v in rng.uniform(0.7, 1.0, size=4)]
    sequence = []
    for index in range(frames):
        t = index / fps
        if style == "dance":
            r_up = 0.5 + 0.5 * _wave(t, f[0], p[0])
            l_up = 0.5 + 0.5 * _wave(t, f[1], p[1])
            bend = _wave(t, f[2], p[2])
            sequence.append(Angles(
                lean=0.12 * amp[0] * _wave(t, f[3], p[3]),
                head_tilt=0.18 * _wave(t, f[4], p[4]),
                r_arm=-(0.3 + 2.1 * amp[1] * r_up), r_elbow=-(0.2 + 0.6 * (0.5 + 0.5 * bend)),
                l_arm=0.3 + 2.1 * amp[2] * l_up, l_elbow=0.2 + 0.6 * (0.5 - 0.5 * bend),
                r_thigh=-(0.08 + 0.22 * (0.5 + 0.5 * _wave(t, f[5], p[5]))),
                r_knee=0.35 * (0.5 + 0.5 * _wave(t, f[5], p[5])),
                l_thigh=0.08 + 0.22 * (0.5 - 0.5 * _wave(t, f[5], p[5])),
                l_knee=-0.35 * (0.5 - 0.5 * _wave(t, f[5], p[5])),
                x=0.5 + 0.12 * amp[3] * _wave(t, f[3] / 2, p[0]),
                lift=0.03 * abs(_wave(t, 2 * f[5], p[5])),
            ))
        else:
            swing = _wave(t, f[0], p[0])
            sequence.append(Angles(
                lean=0.05 * _wave(t, 2 * f[0], p[1]),
                head_tilt=0.08 * _wave(t, f[4], p[4]),
                r_arm=-0.2 + 0.7 * amp[1] * swing, r_elbow=-0.3,
                l_arm=0.2 - 0.7 * amp[2] * swing, l_elbow=0.3,
                r_thigh=-0.55 * amp[0] * swing, r_knee=0.45 * max(0.0, swing),
                l_thigh=0.55 * amp[0] * swing, l_knee=-0.45 * max(0.0, -swing),
                x=0.3 + 0.4 * index / max(frames - 1, 1),
                lift=0.015 * abs(_wave(t, 2 * f[0], p[0])),
            ))
    return sequence
