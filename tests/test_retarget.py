"""Pose Realignment and Pose Rescale: analytic cases on sequences whose bone lengths are constant."""

from __future__ import annotations

import numpy as np
import pytest

from a2bench.data.poses.anchors import ANCHORS, anchor_pose
from a2bench.data.poses.format import JOINT, PoseSequence
from a2bench.data.poses.retarget import (
    BONE_INDEX,
    BONES,
    CHAIN,
    bone_lengths,
    realign,
    realignment_factors,
    reference_lengths,
    rescale,
    rescale_factors,
    retarget,
)

SIZE = (1024, 1024)


def swinging(frames: int = 6) -> PoseSequence:
    """The average anchor with every bone rotated about its parent by a frame-dependent angle."""
    base = anchor_pose("average").pixels()[0]
    rest = np.concatenate([base[:, :2], base[[JOINT["r_hip"], JOINT["l_hip"]], :2].mean(axis=0, keepdims=True)])
    out = []
    for t in range(frames):
        points = rest.copy()
        for index, bone in enumerate(BONES):
            angle = 0.1 * np.sin(t) if bone.group in ("hips", "body") else 0.4 * np.sin(0.7 * t + index)
            rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
            points[bone.child] = points[bone.parent] + rotation @ (rest[bone.child] - rest[bone.parent])
        out.append(np.concatenate([points[:18], np.ones((18, 1))], axis=1))
    return PoseSequence.from_pixels(np.stack(out), SIZE)


def with_hands(poses: PoseSequence) -> PoseSequence:
    """Add hand points 5 px right of each wrist (left hand first, as the format stores them)."""
    pixels = poses.pixels()
    hands = np.zeros((len(poses), 42, 3), dtype=np.float32)
    for span, wrist in ((slice(0, 21), "l_wrist"), (slice(21, 42), "r_wrist")):
        hands[:, span, 0] = (pixels[:, JOINT[wrist], None, 0] + 5) / SIZE[1]
        hands[:, span, 1] = pixels[:, JOINT[wrist], None, 1] / SIZE[0]
        hands[:, span, 2] = 0.9
    return PoseSequence(poses.body, poses.image_size, {"hands": hands})


def directions(poses: PoseSequence) -> np.ndarray:
    pixels = poses.pixels()
    points = np.concatenate([pixels[..., :2], pixels[:, [JOINT["r_hip"], JOINT["l_hip"]], :2].mean(1, keepdims=True)],
                            axis=1)
    vectors = np.stack([points[:, b.child] - points[:, b.parent] for b in BONES], axis=1)
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def test_swinging_helper_keeps_lengths_constant() -> None:
    lengths = bone_lengths(swinging())
    assert np.allclose(lengths, lengths[0], rtol=1e-5)


def test_rescale_without_operations_is_exact_identity() -> None:
    poses = with_hands(swinging())
    out = rescale(poses)
    assert np.array_equal(out.body, poses.body)
    assert np.array_equal(out.extra["hands"], poses.extra["hands"])


def test_realign_to_own_proportions_at_another_size_and_place_is_identity() -> None:
    poses = swinging()
    frame = poses.pixels()[:1].copy()
    frame[..., :2] = frame[..., :2] * 0.5 + 40.0
    anchor = PoseSequence.from_pixels(frame, (700, 900))
    assert np.allclose(realignment_factors(poses, anchor), 1.0, atol=1e-5)
    assert np.allclose(realign(poses, anchor).body, poses.body, atol=1e-5)


def test_a_single_bone_doubled_in_the_anchor_doubles_only_that_bone() -> None:
    poses = swinging()
    frame = poses.pixels()[:1].copy()
    elbow, wrist = JOINT["l_elbow"], JOINT["l_wrist"]
    frame[0, wrist, :2] = frame[0, elbow, :2] + 2 * (frame[0, wrist, :2] - frame[0, elbow, :2])
    out = realign(poses, PoseSequence.from_pixels(frame, SIZE))
    ratio = bone_lengths(out) / bone_lengths(poses)
    doubled = BONE_INDEX["l_elbow-l_wrist"]
    assert np.allclose(ratio[:, doubled], 2.0, rtol=1e-4)
    assert np.allclose(np.delete(ratio, doubled, axis=1), 1.0, rtol=1e-4)


@pytest.mark.parametrize("anchor", ["child", "broad", "long-legged"])
def test_realigned_lengths_take_the_anchor_proportions_and_keep_the_size(anchor: str) -> None:
    poses = swinging()
    out = realign(poses, anchor_pose(anchor))
    target = reference_lengths(anchor_pose(anchor))
    lengths = bone_lengths(out)
    scale = lengths / target
    assert np.allclose(scale, scale[0, 0], rtol=1e-4)
    chain = [BONE_INDEX[name] for name in CHAIN]
    assert np.isclose(lengths[0, chain].sum(), bone_lengths(poses)[0, chain].sum(), rtol=1e-4)


@pytest.mark.parametrize("transform", [lambda p: realign(p, anchor_pose("toddler")),
                                       lambda p: rescale(p, {"arms": 0.5, "legs": 1.7, "face": 2.0})])
def test_every_bone_keeps_its_direction_in_every_frame(transform) -> None:
    poses = swinging()
    assert np.allclose(directions(transform(poses)), directions(poses), atol=1e-5)


def test_rescale_scales_exactly_the_named_groups() -> None:
    poses = swinging()
    ratio = bone_lengths(rescale(poses, {"arms": 0.5, "neck": 2.0})) / bone_lengths(poses)
    for bone, column in zip(BONES, ratio.T, strict=True):
        expected = {"arms": 0.5, "neck": 2.0}.get(bone.group, 1.0)
        assert np.allclose(column, expected, rtol=1e-4), bone.name


def test_dropped_parts_have_zero_confidence_and_the_rest_is_untouched() -> None:
    poses = with_hands(swinging())
    out = rescale(poses, drop=["arms", "head"])
    gone = [JOINT[n] for n in ("r_elbow", "r_wrist", "l_elbow", "l_wrist", "nose", "r_eye", "l_eye", "r_ear", "l_ear")]
    assert np.all(out.body[:, gone] == 0)
    assert np.all(out.extra["hands"] == 0)
    kept = [index for index in range(18) if index not in gone]
    assert np.array_equal(out.body[:, kept], poses.body[:, kept])
    legs = rescale(poses, drop=["legs"]).body
    assert np.all(legs[:, [JOINT["r_knee"], JOINT["l_ankle"]], 2] == 0)


def test_missing_parts_stay_missing_with_their_coordinates() -> None:
    poses = swinging()
    body = poses.body.copy()
    body[:, [JOINT["r_elbow"], JOINT["r_wrist"]]] = 0.0
    armless = PoseSequence(body, SIZE)
    out = realign(armless, anchor_pose("child"))
    assert np.array_equal(out.body[..., 2], armless.body[..., 2])
    assert np.all(out.body[:, [JOINT["r_elbow"], JOINT["r_wrist"]]] == 0)


def test_a_joint_with_a_missing_parent_moves_with_its_nearest_present_ancestor() -> None:
    poses = swinging(3)
    body = poses.body.copy()
    body[:, JOINT["l_elbow"], 2] = 0.0
    out = rescale(PoseSequence(body, SIZE), {"shoulders": 1.5})
    moved = (out.body - body)[..., :2]
    assert np.allclose(moved[:, JOINT["l_wrist"]], moved[:, JOINT["l_shoulder"]], atol=1e-6)
    assert np.abs(moved[:, JOINT["l_shoulder"], 0]).max() > 1e-3


def test_the_ground_line_and_the_torso_column_are_kept() -> None:
    poses = swinging()
    ankles = [JOINT["r_ankle"], JOINT["l_ankle"]]
    for scales in ({"legs": 1.5}, {"body": 2.0}, {"legs": 0.6, "body": 0.7}):
        out = rescale(poses, scales)
        assert np.isclose(out.body[:, ankles, 1].max(), poses.body[:, ankles, 1].max(), atol=1e-6)
    before, after = swinging(), rescale(poses, {"body": 2.0})
    centre = [JOINT["neck"], JOINT["r_hip"], JOINT["l_hip"]]
    weights = np.array([0.5, 0.25, 0.25])
    assert np.allclose(before.body[:, centre, 0] @ weights, after.body[:, centre, 0] @ weights, atol=1e-6)


def test_hands_follow_their_wrists_scaled_by_the_forearm_factor() -> None:
    poses = with_hands(swinging())
    out = rescale(poses, {"arms": 2.0})
    offset = (out.extra["hands"][:, :21, 0] - out.body[:, JOINT["l_wrist"], None, 0]) * SIZE[1]
    assert np.allclose(offset, 10.0, atol=1e-3)


def test_bad_arguments_raise_value_errors() -> None:
    with pytest.raises(ValueError, match="wings"):
        rescale_factors({"wings": 2.0})
    with pytest.raises(ValueError, match="positive"):
        rescale_factors({"arms": 0.0})
    with pytest.raises(ValueError, match="tail"):
        retarget(swinging(), np.ones(len(BONES)), drop=["tail"])


def test_anchor_pool_holds_complete_distinct_human_shapes() -> None:
    lengths = {}
    for name, shape in ANCHORS.items():
        pose = anchor_pose(name)
        assert np.all(pose.body[..., 2] == 1), name
        vertical = shape.ankle + shape.shin + shape.thigh + shape.torso + shape.neck + shape.head
        assert np.isclose(vertical, 1.0), name
        lengths[name] = reference_lengths(pose)
        assert np.all(np.isfinite(lengths[name])), name
    assert len({tuple(np.round(v / v.sum(), 4)) for v in lengths.values()}) == len(ANCHORS)
    assert ANCHORS["toddler"].head > ANCHORS["child"].head > ANCHORS["average"].head
    assert ANCHORS["long-legged"].thigh > ANCHORS["average"].thigh > ANCHORS["short-legged"].thigh
