"""Exact ground truth for derived poses: the same character re-proportioned to the derived skeleton.

A derived sequence (realigned or rescaled) changes bone lengths and keeps directions. The exact ground truth
is the case's character whose every drawn bone has the derived length, moving with the derived poses: each
proportion is multiplied by the ratio r_b = L^derived_b / L^original_b of the bone's reference lengths
(medians over frames, see a2bench.data.poses.retarget), averaged over left and right, and 1 where a bone is
missing. Parts keep their widths, colours and textures; the torso's width follows the shoulders (as the
renderer already makes it do), the head's radius follows the nose-to-eye distance and its stalk the
neck-to-nose bone, and a head-less character's painted face follows its nose and eye landmarks. A dropped
part is not drawn: the renderer skips parts whose joints are missing, and a head-less character whose nose
is missing in every frame loses its painted face. Because the ratios are exactly 1 for unchanged bones, an
identity derivation renders the original video exactly.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from a2bench.data.poses.format import JOINT, PoseSequence
from a2bench.data.poses.retarget import BONE_INDEX, reference_lengths
from a2bench.data.synth.characters import Character

PROPORTIONS = ("torso", "neck", "head_radius", "shoulder_half", "upper_arm", "forearm", "hip_half", "thigh", "shin",
               "torso_half_width", "face_drop", "face_scale")


def bone_ratios(original: PoseSequence, derived: PoseSequence) -> dict[str, float]:
    """r_b = derived / original reference length per bone name; 1 where either is missing."""
    before, after = reference_lengths(original), reference_lengths(derived)
    valid = np.isfinite(before) & np.isfinite(after) & (before > 0)
    ratios = np.ones(len(before))
    ratios[valid] = after[valid] / before[valid]
    return {name: float(ratios[index]) for name, index in BONE_INDEX.items()}


def _mean(ratios: dict[str, float], *names: str) -> float:
    return sum(ratios[name] for name in names) / len(names)


def reproportion(character: Character, original: PoseSequence, derived: PoseSequence) -> Character:
    """The character with the bone lengths of `derived` where `original` is its own pose sequence."""
    r = bone_ratios(original, derived)
    body = r["neck-mid_hip"]
    neck = r["neck-nose"]
    face = _mean(r, "nose-r_eye", "nose-l_eye")
    shoulders = _mean(r, "neck-r_shoulder", "neck-l_shoulder")
    c = character
    faceless = not c.has_head and not np.any(derived.body[:, JOINT["nose"], 2] > 0)
    return replace(
        c,
        torso=c.torso * body,
        neck=c.neck * neck + 0.85 * c.head_radius * (neck - face),
        head_radius=c.head_radius * face,
        shoulder_half=c.shoulder_half * shoulders,
        upper_arm=c.upper_arm * _mean(r, "r_shoulder-r_elbow", "l_shoulder-l_elbow"),
        forearm=c.forearm * _mean(r, "r_elbow-r_wrist", "l_elbow-l_wrist"),
        hip_half=c.hip_half * _mean(r, "mid_hip-r_hip", "mid_hip-l_hip"),
        thigh=c.thigh * _mean(r, "r_hip-r_knee", "l_hip-l_knee"),
        shin=c.shin * _mean(r, "r_knee-r_ankle", "l_knee-l_ankle"),
        torso_half_width=c.torso_half_width * shoulders,
        face_drop=c.face_drop * neck / body,
        face_scale=0.0 if faceless else c.face_scale * face / shoulders,
    )
