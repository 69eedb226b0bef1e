"""The synthetic generator: determinism, advertised missing parts, the full `synth` config, exact re-rendering."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from a2bench.data.poses.anchors import anchor_pose
from a2bench.data.poses.format import JOINT, load_poses
from a2bench.data.poses.retarget import realign, rescale
from a2bench.data.suites import get_manifest
from a2bench.data.synth.characters import BODY_STRUCTURES
from a2bench.data.synth.lock import build_manifest
from a2bench.data.synth.puppet import build_parts
from a2bench.data.synth.reproportion import reproportion
from a2bench.data.synth.suite import SYNTH_CONFIGS, SynthConfig, case_look, generate_case, generate_suite, render_poses

TINY = SynthConfig("tiny", cases=6, frames=4, size=128, fps=8, styles=("dance", "walk"), seed=7)
MISSING = {"armless": ("r_elbow", "r_wrist", "l_elbow", "l_wrist"), "object": ("r_ear", "l_ear")}


def test_the_same_config_twice_gives_identical_content_hashes(tmp_path: Path) -> None:
    config = replace(TINY, cases=2)
    generate_suite(config, tmp_path / "a")
    generate_suite(config, tmp_path / "b")
    first, second = build_manifest(config, tmp_path / "a"), build_manifest(config, tmp_path / "b")
    assert first.fingerprint() == second.fingerprint()
    assert first.cases == second.cases


@pytest.mark.parametrize("index", range(len(BODY_STRUCTURES)))
def test_body_structures_have_exactly_their_advertised_missing_parts(index: int) -> None:
    case = generate_case(TINY, index)
    structure = TINY.structure(index)
    missing = [JOINT[name] for name in MISSING.get(structure, ())]
    assert np.all(case.poses.body[:, missing] == 0), structure
    present = [joint for joint in range(18) if joint not in missing]
    assert np.all(case.poses.body[:, present, 2] == 1), structure
    assert np.all(case.reference_pose.body[0, missing, 2] == 0)


def test_the_full_synth_suite_is_48_cases_of_six_structures_two_styles() -> None:
    config = SYNTH_CONFIGS["synth"]
    ids = config.case_ids()
    assert len(ids) == 48 and (config.frames, config.size) == (32, 512)
    for structure in BODY_STRUCTURES:
        for style in ("dance", "walk"):
            assert sum(i.startswith(f"{structure}-{style}-") for i in ids) == 4
    manifest = get_manifest("synth")
    assert [case.id for case in manifest.cases] == ids
    assert manifest.protocol_defaults.resolution == (512, 512) and manifest.protocol_defaults.frames == 32
    assert "rescaled" in manifest.settings and manifest.generated
    assert {case.tags["style"] for case in manifest.cases} == {"dance", "walk"}


def test_synth_mini_keeps_its_config() -> None:
    config = SYNTH_CONFIGS["synth-mini"]
    assert config.case_ids() == [case.id for case in get_manifest("synth-mini").cases]


def test_rendering_the_own_poses_reproduces_the_generated_video() -> None:
    case = generate_case(TINY, 1)
    character, backdrop = case_look(TINY, 1)
    assert character == case.character
    assert reproportion(character, case.poses, case.poses) == character
    assert np.array_equal(render_poses(character, backdrop, case.poses), case.video)


def stretch(parts: list, keypoints: np.ndarray) -> list[float]:
    """For each drawn part, |image bone| / |canonical bone| - 1 on this frame (0 for a rigid placement)."""
    def joint(name: str) -> np.ndarray:
        if name == "mid_hip":
            return keypoints[[JOINT["r_hip"], JOINT["l_hip"]], :2].mean(axis=0)
        return keypoints[JOINT[name], :2]

    out = []
    for part in parts:
        if all(name == "mid_hip" or keypoints[JOINT[name], 2] > 0 for name in part.joints):
            image = np.linalg.norm(joint(part.joints[1]) - joint(part.joints[0]))
            canonical = np.linalg.norm(np.subtract(part.anchor_b, part.anchor_a))
            out.append(image / canonical - 1)
    return out


@pytest.mark.parametrize("index", [0, 2, 4])
@pytest.mark.parametrize("derive", [lambda p: rescale(p, {"arms": 0.5, "legs": 1.4, "face": 1.3, "shoulders": 1.2}),
                                    lambda p: realign(p, anchor_pose("child"))])
def test_the_reproportioned_character_is_placed_rigidly_by_the_derived_poses(index: int, derive) -> None:
    case = generate_case(TINY, index)
    derived = derive(case.poses)
    reshaped = reproportion(case.character, case.poses, derived)
    parts = build_parts(reshaped, TINY.size)
    for frame in derived.pixels():
        assert np.abs(stretch(parts, frame)).max() < 0.02
    original = build_parts(case.character, TINY.size)
    assert max(np.abs(stretch(original, frame)).max() for frame in derived.pixels()) > 0.1


def test_derived_ground_truth_draws_no_dropped_part(synth_mini) -> None:
    case = synth_mini.cases()[0]
    poses = load_poses(case.poses)
    config = SYNTH_CONFIGS["synth-mini"]
    character, backdrop = case_look(config, 0)
    armless = rescale(poses, drop=["arms"])
    video = render_poses(reproportion(character, poses, armless), backdrop, armless)
    plain = render_poses(replace(character, has_arms=False), backdrop, poses)
    assert np.array_equal(video, plain)


def test_a_headless_character_without_its_head_loses_its_painted_face() -> None:
    index = list(BODY_STRUCTURES).index("object")
    case = generate_case(TINY, index)
    headless = rescale(case.poses, drop=["head"])
    reshaped = reproportion(case.character, case.poses, headless)
    assert reshaped.face_scale == 0.0 and not case.character.has_head
    video = render_poses(reshaped, case_look(TINY, index)[1], headless)
    assert not np.array_equal(video, case.video)
