"""`a2bench data derive`: setting grammar, reproducible derivations, exact ground truth, refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from a2bench.cli import app
from a2bench.data.derive import (
    DERIVATION_FILE,
    PROVENANCE_FILE,
    choose_anchor,
    derive_suite,
    derived_folder,
    parse_setting,
)
from a2bench.data.poses.format import JOINT, load_poses
from a2bench.data.suites import Suite, open_suite
from a2bench.errors import A2BenchError, DataError, UnknownNameError
from a2bench.video.io import read_video

runner = CliRunner()


@pytest.fixture
def suite(synth_mini: Suite, tmp_path: Path) -> Suite:
    """A private copy of synth-mini that derivations may write into."""
    shutil.copytree(synth_mini.folder, tmp_path / "synth-mini")
    return open_suite("synth-mini", tmp_path)


@pytest.mark.parametrize(("text", "name", "folder"), [
    ("self", "self", "self-s3"),
    ("rescaled", "rescaled", "rescaled-s3"),
    (" rescaled:face=1.30 ", "rescaled:face=1.3", "rescaled_face=1.3-s3"),
    ("track:arms=0.50,legs=1.5", "track:legs=1.5,arms=0.5", "track_legs=1.5_arms=0.5-s3"),
    ("track:drop=head+arms,anchor=child", "track:anchor=child,drop=arms+head", "track_anchor=child_drop=arms+head-s3"),
])
def test_settings_have_one_canonical_spelling(text: str, name: str, folder: str) -> None:
    setting = parse_setting(text)
    assert setting.name == name and setting.folder(3) == folder
    assert parse_setting(setting.name) == setting


@pytest.mark.parametrize(("text", "fragment"), [
    ("fancy", "unknown setting 'fancy'"), ("track", "at least one operation"), ("track:", "at least one operation"),
    ("track:wings=2", "unknown operation 'wings'"), ("track:arms=big", "'big' is not a number"),
    ("track:arms=-1", "must lie in"), ("track:arms=0", "must lie in"), ("track:drop=tail", "cannot drop 'tail'"),
    ("rescaled:anchor=child", "belongs to tracks"), ("track:anchor=giant", "unknown anchor 'giant'"),
    ("self:arms=2", "takes no operations"), ("track:arms=1,arms=2", "given twice"), ("track:arms", "NAME=VALUE"),
])
def test_bad_settings_are_refused_with_the_grammar(text: str, fragment: str) -> None:
    with pytest.raises(A2BenchError) as info:
        parse_setting(text)
    assert fragment in info.value.message and "track:OPS" in info.value.fix


def test_the_anchor_draw_depends_on_seed_and_case_only() -> None:
    rescaled = parse_setting("rescaled")
    ids = [f"case-{i}" for i in range(40)]
    draws = [choose_anchor(rescaled, 0, i) for i in ids]
    assert draws == [choose_anchor(rescaled, 0, i) for i in ids]
    assert draws != [choose_anchor(rescaled, 1, i) for i in ids]
    assert len(set(draws)) > 3
    assert choose_anchor(parse_setting("track:anchor=thin"), 5, "x") == "thin"
    assert choose_anchor(parse_setting("track:arms=2"), 5, "x") is None


def test_rescaled_is_reproducible_byte_for_byte_and_writes_exact_ground_truth(suite: Suite) -> None:
    setting = parse_setting("rescaled")
    first = derive_suite(suite, setting, seed=4)
    assert first.written and first.cases == 8
    moved = first.folder.with_name("first")
    first.folder.rename(moved)
    second = derive_suite(suite, setting, seed=4)
    assert second.fingerprint == first.fingerprint
    for case in suite.cases():
        assert (moved / case.id / "poses.npz").read_bytes() == (second.folder / case.id / "poses.npz").read_bytes()
    case = suite.cases()[0]
    provenance = json.loads((second.folder / case.id / PROVENANCE_FILE).read_text())
    assert provenance["seed"] == 4 and provenance["setting"] == "rescaled"
    assert provenance["anchor"]["name"] == choose_anchor(setting, 4, case.id)
    assert provenance["operations"][0]["op"] == "realign" and provenance["original_video"] == f"{case.id}/video"
    gt = read_video(second.folder / case.id / "video")
    assert gt.shape == read_video(case.ground_truth).shape
    assert not np.array_equal(gt, read_video(case.ground_truth))
    derived = load_poses(second.folder / case.id / "poses.npz")
    assert not np.allclose(derived.body, load_poses(case.poses).body)


def test_self_copies_the_poses_and_points_at_the_original_video(suite: Suite) -> None:
    result = derive_suite(suite, parse_setting("self"), seed=0)
    for case in suite.cases():
        assert np.array_equal(load_poses(result.folder / case.id / "poses.npz").body, load_poses(case.poses).body)
        assert not (result.folder / case.id / "video").exists()
    document = json.loads((result.folder / DERIVATION_FILE).read_text())
    assert document["cases"][0]["suite_files"]["original_video"] == f"{suite.cases()[0].id}/video"
    again = derive_suite(suite, parse_setting("self"), seed=0)
    assert not again.written and again.fingerprint == result.fingerprint


def test_a_drop_track_zeroes_the_parts_and_renders_without_them(suite: Suite) -> None:
    result = derive_suite(suite, parse_setting("track:drop=arms"), seed=0)
    case = suite.cases()[0]
    body = load_poses(result.folder / case.id / "poses.npz").body
    assert np.all(body[:, [JOINT["r_elbow"], JOINT["l_wrist"]]] == 0)
    assert read_video(result.folder / case.id / "video").shape == read_video(case.ground_truth).shape


def test_existing_folders_are_never_overwritten(suite: Suite) -> None:
    setting = parse_setting("track:legs=1.5")
    folder = derived_folder(suite, setting, 0)
    folder.mkdir(parents=True)
    mine = folder / "notes.txt"
    mine.write_text("my notes")
    with pytest.raises(DataError, match=r"no readable derivation\.json") as info:
        derive_suite(suite, setting, seed=0)
    assert info.value.path == folder and mine.read_text() == "my notes"
    shutil.rmtree(folder)
    result = derive_suite(suite, setting, seed=0)
    poses = result.folder / suite.cases()[1].id / "poses.npz"
    poses.write_bytes(b"altered")
    with pytest.raises(DataError, match="altered") as info:
        derive_suite(suite, setting, seed=0)
    assert info.value.path == poses and poses.read_bytes() == b"altered"


def test_missing_or_altered_source_poses_stop_the_run_cleanly(suite: Suite) -> None:
    case = suite.cases()[2]
    case.poses.unlink()
    with pytest.raises(DataError, match="missing poses") as info:
        derive_suite(suite, parse_setting("self"), seed=0)
    assert info.value.path == case.poses and "download synth-mini" in info.value.fix
    assert not any((suite.folder / "derived").iterdir())
    shutil.copy(suite.cases()[0].poses, case.poses)
    with pytest.raises(DataError, match="altered"):
        derive_suite(suite, parse_setting("self"), seed=0)


def test_cli_derives_and_reports(suite: Suite) -> None:
    root = str(suite.folder.parent)
    result = runner.invoke(app, ["data", "derive", "synth-mini", "--setting", "self", "--root", root])
    assert result.exit_code == 0, result.output
    assert "8 case(s) derived" in result.output and "self-s0" in result.output


@pytest.mark.parametrize(("args", "error", "fragment"), [
    (["data", "derive", "no-such-suite", "--setting", "self"], UnknownNameError, "unknown suite 'no-such-suite'"),
    (["data", "derive", "synth-mini", "--setting", "track:wings=2"], A2BenchError, "unknown operation 'wings'"),
    (["data", "derive", "synth-mini", "--setting", "self"], DataError, "suite synth-mini is not present"),
])
def test_cli_refuses_bad_input_with_a_clear_error(tmp_path: Path, args: list[str], error: type, fragment: str) -> None:
    result = runner.invoke(app, [*args, "--root", str(tmp_path)])
    assert result.exit_code != 0
    assert isinstance(result.exception, error) and fragment in result.exception.line()


def test_cli_names_missing_poses(suite: Suite) -> None:
    poses = suite.cases()[3].poses
    poses.unlink()
    result = runner.invoke(app, ["data", "derive", "synth-mini", "--setting", "rescaled", "--root",
                                 str(suite.folder.parent)])
    assert result.exit_code != 0 and isinstance(result.exception, DataError)
    assert str(poses) in result.exception.line()
