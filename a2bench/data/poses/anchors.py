"""The anchor pool for Pose Realignment: human body shapes built from anthropometric proportions.

Every shape is a standing pose (COCO-18, one frame) whose segment lengths are fractions of stature H.
Pose Realignment uses only the ratios between bone lengths, so the pool spans body *shape*: leg and arm
length, shoulder and hip width, head size. The values and where they come from:

- `average` — Drillis & Contini (1966), Body segment parameters, Report 1166-03, New York University, as
  tabulated by Winter, Biomechanics and Motor Control of Human Movement (4th ed., 2009, Fig. 4.1):
  head (vertex to chin) 0.130 H, chin to shoulder 0.052 H, shoulder to hip joint 0.288 H, thigh 0.245 H,
  shank 0.246 H, ankle height 0.039 H, upper arm 0.186 H, forearm 0.146 H. Widths are between joint
  centres, as keypoints mark them: shoulders 0.22 H (the 0.259 H biacromial breadth less about 0.02 H a
  side from acromion to joint centre) and hips 0.10 H (Bell, Pedersen & Brand 1990, J. Biomech. 23:617:
  hip centres 0.72 × the inter-ASIS distance apart, itself about 0.14 H).
- `long-legged` / `short-legged` — legs ×1.08 / ×0.92 with the torso ×0.95 / ×1.06: sitting-height ratios
  of about 0.49 and 0.55, the range of adult population means in Bogin & Varela-Silva (2010), Leg length,
  body proportion, and health: a review, Int. J. Environ. Res. Public Health 7:1047.
- `broad` / `thin` — shoulders ×1.15 / ×0.85 and hips ×1.10 / ×0.88, about ±2 standard deviations of
  biacromial and bi-iliac breadth relative to stature in adult surveys (e.g. ANSUR II, Gordon et al. 2014).
- `long-armed` / `short-armed` — upper arm and forearm ×1.08 / ×0.90, the spread of arm span to stature
  (about 0.95–1.08) reported in the same surveys.
- `child` (about 6 years) — head 1/6 of stature, sitting-height ratio about 0.56, arms ×0.92, shoulders
  0.21 H; `toddler` (about 2 years) — head 1/5 of stature, sitting-height ratio about 0.60, arms ×0.85,
  shoulders 0.23 H (Bogin & Varela-Silva 2010 for the ratios; the head-to-stature canon of growth charts,
  e.g. Stratz 1902, Der Körper des Kindes).
- `heroic` — the 8-head figure-drawing canon (Loomis 1943, Figure Drawing for All It's Worth): head
  0.125 H, shoulders 0.25 H, legs ×1.03.

Lengths are renormalised so the vertical chain (ankle height, shank, thigh, torso, neck, head) sums to 1 H.
These are constructed approximations of documented proportions, not measured individuals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import numpy as np

from a2bench.data.poses.format import JOINT, PoseSequence
from a2bench.errors import UnknownNameError

VERTICAL = ("ankle", "shin", "thigh", "torso", "neck", "head")
IMAGE_SIZE = (1024, 1024)
STATURE = 0.8  # of the image height
FLOOR = 0.9  # ground line, fraction of the image height


@dataclass(frozen=True)
class BodyShape:
    """Segment lengths and joint-centre widths as fractions of stature."""

    description: str
    head: float = 0.130
    neck: float = 0.052
    torso: float = 0.288
    thigh: float = 0.245
    shin: float = 0.246
    ankle: float = 0.039
    shoulders: float = 0.22
    hips: float = 0.10
    upper_arm: float = 0.186
    forearm: float = 0.146

    def normalised(self) -> BodyShape:
        """The same shape with the vertical chain summing to one stature."""
        total = sum(getattr(self, name) for name in VERTICAL)
        return replace(self, **{f.name: getattr(self, f.name) / total for f in fields(self) if f.name != "description"})


AVERAGE = BodyShape("adult, average proportions (Drillis & Contini 1966)")


def _variant(description: str, **scales: float) -> BodyShape:
    """AVERAGE with some segments multiplied (`legs`, `arms` scale both of their segments)."""
    groups = {"legs": ("thigh", "shin"), "arms": ("upper_arm", "forearm")}
    changes: dict[str, float] = {}
    for key, value in scales.items():
        for name in groups.get(key, (key,)):
            changes[name] = getattr(AVERAGE, name) * value
    return replace(AVERAGE, description=description, **changes).normalised()


def _child(description: str, head: float, sitting_ratio: float, arms: float, shoulders: float) -> BodyShape:
    """A child's shape from head fraction, sitting-height ratio, arm scale and shoulder width (fractions of H)."""
    legs = 1.0 - sitting_ratio + 0.05 - AVERAGE.ankle  # hip joints sit 0.05 H above the seat (adult: 0.530 vs 0.48)
    upper = 1.0 - AVERAGE.ankle - legs - head
    neck = upper * AVERAGE.neck / (AVERAGE.neck + AVERAGE.torso)
    return replace(AVERAGE, description=description, head=head, neck=neck, torso=upper - neck,
                   thigh=legs / 2, shin=legs / 2, shoulders=shoulders, hips=AVERAGE.hips * 0.9,
                   upper_arm=AVERAGE.upper_arm * arms, forearm=AVERAGE.forearm * arms).normalised()


ANCHORS: dict[str, BodyShape] = {
    "average": AVERAGE.normalised(),
    "long-legged": _variant("adult, long legs (sitting-height ratio about 0.49)", legs=1.08, torso=0.95),
    "short-legged": _variant("adult, short legs (sitting-height ratio about 0.55)", legs=0.92, torso=1.06),
    "broad": _variant("adult, broad shoulders and hips", shoulders=1.15, hips=1.10),
    "thin": _variant("adult, narrow shoulders and hips", shoulders=0.85, hips=0.88),
    "long-armed": _variant("adult, long arms", arms=1.08),
    "short-armed": _variant("adult, short arms", arms=0.90),
    "child": _child("child of about 6 years (6 heads tall)", head=1 / 6, sitting_ratio=0.56, arms=0.92,
                    shoulders=0.21),
    "toddler": _child("toddler of about 2 years (5 heads tall)", head=1 / 5, sitting_ratio=0.60, arms=0.85,
                      shoulders=0.23),
    "heroic": _variant("the 8-head figure-drawing canon", head=0.125 / 0.130, shoulders=0.25 / 0.22, legs=1.03),
}


def _standing(shape: BodyShape) -> np.ndarray:
    """Keypoints (18, 3) in pixels of IMAGE_SIZE: legs straight, arms 15° and 25° out from the body."""
    height, width = IMAGE_SIZE
    unit = STATURE * height
    cx = width / 2
    ankle = FLOOR * height - shape.ankle * unit
    knee = ankle - shape.shin * unit
    hip = knee - shape.thigh * unit
    neck = hip - shape.torso * unit
    chin = neck - shape.neck * unit
    head = shape.head * unit
    points = {"neck": (cx, neck), "nose": (cx, chin - 0.33 * head),
              "r_eye": (cx - 0.14 * head, chin - 0.5 * head), "l_eye": (cx + 0.14 * head, chin - 0.5 * head),
              "r_ear": (cx - 0.33 * head, chin - 0.45 * head), "l_ear": (cx + 0.33 * head, chin - 0.45 * head)}
    for prefix, sign in (("r", -1.0), ("l", 1.0)):
        hip_x = cx + sign * shape.hips / 2 * unit
        points.update({f"{prefix}_hip": (hip_x, hip), f"{prefix}_knee": (hip_x, knee),
                       f"{prefix}_ankle": (hip_x, ankle)})
        shoulder = (cx + sign * shape.shoulders / 2 * unit, neck)
        upper, lower = math.radians(15), math.radians(25)
        elbow = (shoulder[0] + sign * math.sin(upper) * shape.upper_arm * unit,
                 shoulder[1] + math.cos(upper) * shape.upper_arm * unit)
        wrist = (elbow[0] + sign * math.sin(lower) * shape.forearm * unit,
                 elbow[1] + math.cos(lower) * shape.forearm * unit)
        points.update({f"{prefix}_shoulder": shoulder, f"{prefix}_elbow": elbow, f"{prefix}_wrist": wrist})
    keypoints = np.zeros((18, 3))
    for name, (x, y) in points.items():
        keypoints[JOINT[name]] = (x, y, 1.0)
    return keypoints


def anchor_pose(name: str) -> PoseSequence:
    """The named anchor as a one-frame pose sequence."""
    if name not in ANCHORS:
        raise UnknownNameError(f"unknown anchor '{name}'", fix=f"use one of: {', '.join(ANCHORS)}")
    return PoseSequence.from_pixels(_standing(ANCHORS[name])[None], IMAGE_SIZE)
