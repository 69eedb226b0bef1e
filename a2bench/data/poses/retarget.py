"""The Explicit Pose Indicator transforms: Pose Realignment to an anchor's body shape and Pose Rescale.

Both are one operation, a per-bone length change that keeps every bone's direction, frame by frame.
Work is in pixels (so non-square frames keep their angles) on the 18 body joints plus a virtual mid-hip
m = (r_hip + l_hip) / 2, present when both hips are. The bones form a tree rooted at the neck (BONES):
neck→m (body), m→hips, hips→knees→ankles (legs), neck→shoulders, shoulders→elbows→wrists (arms),
neck→nose (neck), nose→eyes→ears (face).

Given one factor f_b per bone, for a sequence x_t (joints j, frames t):

1. Rebuild from the neck outwards: x'_neck = x_neck and, in tree order, for a bone b = (p → c)
   x'_c = x'_p + f_b (x_c − x_p)                      when p and c are both present,
   x'_c = x_c + (x'_q − x_q)                           when c is present but p is not,
   where q is c's nearest present ancestor (c moves with it, unscaled).
2. Anchor at the neck and hips: translate each frame by τ_t = a_t − a'_t, where a = (neck + m) / 2
   (the torso's centre) when both are present, else the neck.
3. Keep the ground: translate every frame vertically by one constant δ = max y_ankles − max y'_ankles,
   the maxima taken over all frames and the ankles present in the result (δ = 0 without ankles), so the
   lowest the feet reach stays on the driving sequence's ground line.
4. Optional parts follow their joint: face points the nose (scaled by the mean factor of nose→eyes),
   each hand its wrist (forearm factor), each foot its ankle (shin factor): x'_k = x'_j + f (x_k − x_j),
   with the frame's translations of steps 2 and 3; points whose joint is missing move with it unscaled.

Confidences are copied: a part missing in the input (confidence 0) stays missing, with its coordinates
unchanged. Dropping a part (arms, legs, head) sets its joints and attached points to 0.

Pose Realignment (`realign`) to an anchor pose B of a driving sequence A uses
   f_b = s · L^B_b / L^A_b,   s = Σ_{b∈C} L^A_b / Σ_{b∈C} L^B_b,
where L_b is a bone's reference length (its median over the frames where it is present) and C the
standing chain {neck, body, thighs, shins} shared by both (every shared bone when none of C is). So every
bone takes the anchor's length relative to the others, the whole keeps A's size (its neck-to-ankle chain),
and A's per-frame foreshortening (|x_c − x_p| varying over t) is kept. A bone the anchor lacks keeps
f_b = 1; both hip bones take their mean factor so that m stays the hips' midpoint.

Pose Rescale (`rescale`) uses f_b = k_g for the bones of each named group g in GROUPS (body, hips, legs,
shoulders, arms, neck, face) and 1 elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from a2bench.data.poses.format import FEET, HAND_POINTS, JOINT, PoseSequence

MID_HIP = 18
POINTS = {**JOINT, "mid_hip": MID_HIP}
POINT_NAMES = {index: name for name, index in POINTS.items()}


@dataclass(frozen=True)
class Bone:
    """A bone from `parent` to `child` (indices into the 18 joints plus MID_HIP) and its rescale group."""

    parent: int
    child: int
    group: str

    @property
    def name(self) -> str:
        """`parent-child`, e.g. `r_elbow-r_wrist`."""
        return f"{POINT_NAMES[self.parent]}-{POINT_NAMES[self.child]}"


def _bone(parent: str, child: str, group: str) -> Bone:
    return Bone(POINTS[parent], POINTS[child], group)


BONES: tuple[Bone, ...] = (
    _bone("neck", "mid_hip", "body"),
    _bone("mid_hip", "r_hip", "hips"), _bone("mid_hip", "l_hip", "hips"),
    _bone("r_hip", "r_knee", "legs"), _bone("r_knee", "r_ankle", "legs"),
    _bone("l_hip", "l_knee", "legs"), _bone("l_knee", "l_ankle", "legs"),
    _bone("neck", "r_shoulder", "shoulders"), _bone("neck", "l_shoulder", "shoulders"),
    _bone("r_shoulder", "r_elbow", "arms"), _bone("r_elbow", "r_wrist", "arms"),
    _bone("l_shoulder", "l_elbow", "arms"), _bone("l_elbow", "l_wrist", "arms"),
    _bone("neck", "nose", "neck"),
    _bone("nose", "r_eye", "face"), _bone("nose", "l_eye", "face"),
    _bone("r_eye", "r_ear", "face"), _bone("l_eye", "l_ear", "face"),
)
BONE_INDEX = {bone.name: index for index, bone in enumerate(BONES)}
GROUPS = ("body", "hips", "legs", "shoulders", "arms", "neck", "face")
CHAIN = ("neck-nose", "neck-mid_hip", "r_hip-r_knee", "r_knee-r_ankle", "l_hip-l_knee", "l_knee-l_ankle")
HIP_BONES = ("mid_hip-r_hip", "mid_hip-l_hip")

# Optional parts: (part, slice of its points, the joint they follow, the bones whose mean factor scales them).
ATTACHMENTS = (
    ("face", slice(0, 68), "nose", ("nose-r_eye", "nose-l_eye")),
    ("hands", slice(0, HAND_POINTS), "l_wrist", ("l_elbow-l_wrist",)),
    ("hands", slice(HAND_POINTS, 2 * HAND_POINTS), "r_wrist", ("r_elbow-r_wrist",)),
    ("feet", slice(0, FEET.index("r_big_toe")), "l_ankle", ("l_knee-l_ankle",)),
    ("feet", slice(FEET.index("r_big_toe"), len(FEET)), "r_ankle", ("r_knee-r_ankle",)),
)
DROPPABLE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "arms": (("r_elbow", "r_wrist", "l_elbow", "l_wrist"), ("hands",)),
    "legs": (("r_knee", "r_ankle", "l_knee", "l_ankle"), ("feet",)),
    "head": (("nose", "r_eye", "l_eye", "r_ear", "l_ear"), ("face",)),
}
ANKLES = (JOINT["r_ankle"], JOINT["l_ankle"])


def _extended(poses: PoseSequence) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates (T, 19, 2) and confidences (T, 19) of the body joints plus the mid-hip."""
    pixels = poses.pixels()
    hips = [JOINT["r_hip"], JOINT["l_hip"]]
    mid = pixels[:, hips, :2].mean(axis=1, keepdims=True)
    points = np.concatenate([pixels[..., :2], mid], axis=1)
    conf = np.concatenate([pixels[..., 2], pixels[:, hips, 2].min(axis=1, keepdims=True)], axis=1)
    return points, conf


def bone_lengths(poses: PoseSequence) -> np.ndarray:
    """Per-frame bone lengths in pixels (T, len(BONES)); NaN where either end of a bone is missing."""
    points, conf = _extended(poses)
    parents = [bone.parent for bone in BONES]
    children = [bone.child for bone in BONES]
    lengths = np.linalg.norm(points[:, children] - points[:, parents], axis=-1)
    present = (conf[:, parents] > 0) & (conf[:, children] > 0)
    return np.where(present, lengths, np.nan)


def reference_lengths(poses: PoseSequence) -> np.ndarray:
    """Each bone's median length over the frames where it is present (NaN when it never is)."""
    lengths = bone_lengths(poses)
    out = np.full(len(BONES), np.nan)
    seen = ~np.all(np.isnan(lengths), axis=0)
    out[seen] = np.nanmedian(lengths[:, seen], axis=0)
    return out


def realignment_factors(driving: PoseSequence, anchor: PoseSequence) -> np.ndarray:
    """Per-bone factors f_b = s · L^anchor_b / L^driving_b (see the module docstring); 1 where unknown."""
    own, target = reference_lengths(driving), reference_lengths(anchor)
    usable = np.isfinite(own) & np.isfinite(target) & (own > 0) & (target > 0)
    chain = np.zeros(len(BONES), dtype=bool)
    chain[[BONE_INDEX[name] for name in CHAIN]] = True
    basis = usable & chain if np.any(usable & chain) else usable
    scale = own[basis].sum() / target[basis].sum() if np.any(basis) else 1.0
    factors = np.ones(len(BONES))
    factors[usable] = scale * target[usable] / own[usable]
    hips = [BONE_INDEX[name] for name in HIP_BONES]
    factors[hips] = factors[hips].mean()
    return factors


def rescale_factors(scales: Mapping[str, float]) -> np.ndarray:
    """Per-bone factors for group scales such as {"arms": 0.5, "legs": 1.5}; unknown groups are a ValueError."""
    unknown = sorted(set(scales) - set(GROUPS))
    if unknown:
        raise ValueError(f"unknown body groups {unknown}; known: {', '.join(GROUPS)}")
    if any(not value > 0 for value in scales.values()):
        raise ValueError(f"scale factors must be positive, got {dict(scales)}")
    return np.array([float(scales.get(bone.group, 1.0)) for bone in BONES])


def _displacements(points: np.ndarray, conf: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Step 1 as displacements d = x' − x, built from the neck outwards (exactly 0 where every factor is 1)."""
    shift = np.zeros_like(points)
    for bone, factor in zip(BONES, factors, strict=True):
        p, c = bone.parent, bone.child
        both = ((conf[:, p] > 0) & (conf[:, c] > 0))[:, None]
        stretch = (factor - 1.0) * (points[:, c] - points[:, p])
        shift[:, c] = np.where(both, shift[:, p] + stretch, shift[:, p])
    return shift


def _placement(points: np.ndarray, conf: np.ndarray, shift: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Steps 2 and 3: the per-frame translation (T, 2) that re-anchors the torso and keeps the ground."""
    torso = ((conf[:, JOINT["neck"]] > 0) & (conf[:, MID_HIP] > 0))[:, None]
    offset = np.where(torso, -(shift[:, JOINT["neck"]] + shift[:, MID_HIP]) / 2, -shift[:, JOINT["neck"]])
    ankles = kept[:, ANKLES]
    if np.any(ankles):
        old = points[:, ANKLES, 1][ankles]
        new = (points[:, ANKLES, 1] + shift[:, ANKLES, 1] + offset[:, 1, None])[ankles]
        offset[:, 1] += old.max() - new.max()
    return offset


def _move_parts(poses: PoseSequence, points: np.ndarray, conf: np.ndarray, shift: np.ndarray,
                offset: np.ndarray, factors: np.ndarray, drop: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Step 4: optional parts follow their joint, scaled about it; dropped parts become all zeros."""
    height, width = poses.image_size
    size = np.array([width, height], dtype=np.float64)
    moved = {name: np.asarray(part, dtype=np.float64).copy() for name, part in poses.extra.items()}
    for part, span, joint_name, bones in ATTACHMENTS:
        if part not in moved:
            continue
        joint = JOINT[joint_name]
        factor = float(np.mean([factors[BONE_INDEX[name]] for name in bones]))
        xy = moved[part][:, span, :2] * size
        anchored = (conf[:, joint] > 0)[:, None, None]
        stretch = np.where(anchored, (factor - 1.0) * (xy - points[:, joint, None]), 0.0)
        target = xy + (shift[:, joint] + offset)[:, None] + stretch
        present = (moved[part][:, span, 2] > 0)[..., None]
        moved[part][:, span, :2] = np.where(present, target / size, moved[part][:, span, :2])
    for part in drop:
        for name in DROPPABLE[part][1]:
            if name in moved:
                moved[name][:] = 0.0
    return {name: part.astype(np.float32) for name, part in moved.items()}


def retarget(poses: PoseSequence, factors: np.ndarray, drop: Iterable[str] = ()) -> PoseSequence:
    """Apply per-bone factors (steps 1–4 of the module docstring), then drop the named parts."""
    factors = np.asarray(factors, dtype=np.float64)
    if factors.shape != (len(BONES),) or not np.all(factors > 0):
        raise ValueError(f"expected {len(BONES)} positive bone factors, got {factors}")
    drop = tuple(drop)
    unknown = sorted(set(drop) - set(DROPPABLE))
    if unknown:
        raise ValueError(f"cannot drop {unknown}; droppable parts: {', '.join(DROPPABLE)}")
    points, conf = _extended(poses)
    shift = _displacements(points, conf, factors)
    kept = conf[:, :18] > 0
    dropped = [JOINT[name] for part in drop for name in DROPPABLE[part][0]]
    kept[:, dropped] = False
    offset = _placement(points, conf, shift, kept)
    height, width = poses.image_size
    body = poses.body.astype(np.float64)
    moved = points[:, :18] + shift[:, :18] + offset[:, None]
    present = (conf[:, :18] > 0)[..., None]
    body[..., :2] = np.where(present, moved / np.array([width, height], dtype=np.float64), body[..., :2])
    body[:, dropped] = 0.0
    extra = _move_parts(poses, points, conf, shift, offset, factors, drop)
    return PoseSequence(body=body.astype(np.float32), image_size=poses.image_size, extra=extra)


def realign(driving: PoseSequence, anchor: PoseSequence) -> PoseSequence:
    """Pose Realignment: the driving motion with the anchor's body proportions, at the driving size and place."""
    return retarget(driving, realignment_factors(driving, anchor))


def rescale(poses: PoseSequence, scales: Mapping[str, float] | None = None, drop: Iterable[str] = ()) -> PoseSequence:
    """Pose Rescale: scale the named body groups' bone lengths and drop the named parts."""
    return retarget(poses, rescale_factors(scales or {}), drop)
