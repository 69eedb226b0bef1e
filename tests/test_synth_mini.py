"""synth-mini: generated deterministically, verified by its manifest, damage reported by file name."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from a2bench.data.poses.format import JOINT, load_poses
from a2bench.data.suites import Suite, open_suite
from a2bench.video.io import read_video


def copy_suite(suite: Suite, tmp_path: Path) -> Suite:
    shutil.copytree(suite.folder, tmp_path / suite.name)
    return open_suite(suite.name, tmp_path)


def test_generated_suite_matches_its_manifest(synth_mini: Suite) -> None:
    assert synth_mini.verify(full=True) == []
    assert len(synth_mini.cases()) == 8


def test_cases_have_every_role_with_consistent_shapes(synth_mini: Suite) -> None:
    case = synth_mini.cases()[0]
    video = read_video(case.ground_truth)
    poses = load_poses(case.poses)
    assert video.shape == (24, 256, 256, 3)
    assert poses.body.shape == (24, 18, 3)
    assert read_video(case.files["skeleton"]).shape == video.shape
    assert np.all((poses.body[..., :2] >= 0) & (poses.body[..., :2] <= 1))


def test_body_structures_cover_the_required_kinds(synth_mini: Suite) -> None:
    structures = {case.tags["body_structure"] for case in synth_mini.cases()}
    assert {"humanoid", "armless", "chibi", "lanky", "object"} <= structures


def test_armless_characters_have_zero_confidence_arms(synth_mini: Suite) -> None:
    case = next(c for c in synth_mini.cases() if c.tags["body_structure"] == "armless")
    body = load_poses(case.poses).body
    for joint in ("r_elbow", "r_wrist", "l_elbow", "l_wrist"):
        assert np.all(body[:, JOINT[joint], 2] == 0)
    assert np.all(body[:, JOINT["neck"], 2] == 1)


def test_verify_names_altered_and_missing_files(synth_mini: Suite, tmp_path: Path) -> None:
    suite = copy_suite(synth_mini, tmp_path)
    case = suite.cases()[1]
    frame = case.ground_truth / "00003.png"
    pixels = np.asarray(Image.open(frame)).copy()
    pixels[0, 0] ^= 1
    Image.fromarray(pixels).save(frame)
    case.reference.unlink()
    problems = {p.path: p.issue for p in suite.verify(full=True)}
    assert set(problems) == {case.ground_truth, case.reference}
    assert "altered" in problems[case.ground_truth] and "missing" in problems[case.reference]


def test_fast_verify_checks_presence_only(synth_mini: Suite, tmp_path: Path) -> None:
    suite = copy_suite(synth_mini, tmp_path)
    assert suite.verify(full=False) == []
    shutil.rmtree(suite.cases()[0].files["skeleton"])
    assert [p.path for p in suite.verify(full=False)] == [suite.cases()[0].files["skeleton"]]


def test_fingerprint_changes_with_content(synth_mini: Suite) -> None:
    manifest = synth_mini.manifest
    changed = manifest.model_copy(update={"version": "9.9"})
    assert manifest.fingerprint() != changed.fingerprint()
    assert len(manifest.fingerprint()) == 64
