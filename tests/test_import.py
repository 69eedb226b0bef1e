"""`a2bench data import`: both layouts, validation, lock manifests, and the user's data left untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from a2bench.data.poses.format import PoseSequence, save_poses
from a2bench.data.suites import open_suite
from a2bench.video.io import write_png, write_video
from tests.cli_helpers import assert_clean_failure, run_cli

RNG = np.random.default_rng(5)


def video(t: int = 4) -> np.ndarray:
    return np.repeat(np.repeat(RNG.integers(0, 256, (t, 4, 6, 3), dtype=np.uint8), 8, 1), 8, 2)


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(path.relative_to(folder).as_posix().encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def case_folders(tmp_path: Path) -> Path:
    source = tmp_path / "a2bench_copy"
    for index in range(3):
        case = source / f"char{index:03d}"
        write_png(case / "reference.png", video(1)[0])
        write_video(case / "video.mp4", video())
        if index:
            save_poses(case / "poses.npz", PoseSequence(np.full((4, 18, 3), 0.5, np.float32), (32, 48)))
    return source


def test_imports_case_folders_and_pins_every_file(case_folders: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    before = tree_digest(case_folders)
    result = run_cli("data", "import", "a2bench", "--from", case_folders, "--root", root)
    assert result.returncode == 0, result.stderr
    assert "3 cases imported" in result.stdout and "fingerprint" in result.stdout
    assert "the a2bench test set has 100" in result.stderr and "1 case(s) have no poses.npz" in result.stderr
    assert tree_digest(case_folders) == before
    suite = open_suite("a2bench", root)
    assert suite.verify(full=True) == []
    assert suite.manifest.fingerprint() in result.stdout
    assert {c.id for c in suite.cases()} == {"char000", "char001", "char002"}
    assert all(f.size and f.hash == "file" for c in suite.manifest.cases for f in c.files.values())
    assert run_cli("data", "verify", "a2bench", "--root", root).returncode == 0


def test_imports_images_and_videos_layout_as_custom_suite(tmp_path: Path) -> None:
    source = tmp_path / "mine"
    for name in ("a", "b"):
        write_png(source / "images" / f"{name}.png", video(1)[0])
        write_video(source / "videos" / f"{name}.mp4", video())
    root = tmp_path / "root"
    result = run_cli("data", "import", "custom", "mychars", "--from", source, "--root", root)
    assert result.returncode == 0, result.stderr
    assert "test set has" not in result.stderr
    listing = run_cli("suites", "list", "--root", root)
    assert "mychars" in listing.stdout


def test_altered_file_after_import_is_reported(case_folders: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    assert run_cli("data", "import", "tiktok", "--from", case_folders, "--root", root).returncode == 0
    target = root / "tiktok" / "char001" / "video.mp4"
    target.write_bytes(target.read_bytes()[:-10] + b"0123456789")
    result = run_cli("data", "verify", "tiktok", "--root", root)
    assert result.returncode == 1 and str(target) in result.stderr


def test_second_import_needs_force(case_folders: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    assert run_cli("data", "import", "a2bench", "--from", case_folders, "--root", root).returncode == 0
    assert_clean_failure(run_cli("data", "import", "a2bench", "--from", case_folders, "--root", root), "--force")
    assert run_cli("data", "import", "a2bench", "--from", case_folders, "--root", root, "--force").returncode == 0


def test_never_replaces_a_folder_it_did_not_create(case_folders: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    mine = root / "a2bench" / "notes.txt"
    mine.parent.mkdir(parents=True)
    mine.write_text("my notes")
    assert_clean_failure(run_cli("data", "import", "a2bench", "--from", case_folders, "--root", root, "--force"),
                         "did not create")
    assert mine.read_text() == "my notes"


def test_video_that_does_not_decode_names_the_file(case_folders: Path, tmp_path: Path) -> None:
    broken = case_folders / "char002" / "video.mp4"
    broken.write_bytes(b"garbage")
    root = tmp_path / "root"
    assert_clean_failure(run_cli("data", "import", "a2bench", "--from", case_folders, "--root", root), str(broken))
    assert not (root / "a2bench").exists()


def test_unexpected_layout_and_missing_parts(tmp_path: Path) -> None:
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "readme.txt").write_text("hi")
    assert_clean_failure(run_cli("data", "import", "a2bench", "--from", tmp_path / "flat", "--root", tmp_path / "r"),
                         "no cases found", "DIR/<case>")
    write_png(tmp_path / "half" / "c1" / "reference.png", video(1)[0])
    assert_clean_failure(run_cli("data", "import", "a2bench", "--from", tmp_path / "half", "--root", tmp_path / "r"),
                         "lacks video.mp4")
    assert_clean_failure(run_cli("data", "import", "a2bench", "--from", tmp_path / "absent", "--root", tmp_path / "r"),
                         "does not exist")


def test_pose_count_must_match_the_video(case_folders: Path, tmp_path: Path) -> None:
    save_poses(case_folders / "char001" / "poses.npz", PoseSequence(np.zeros((9, 18, 3), np.float32), (32, 48)))
    assert_clean_failure(run_cli("data", "import", "a2bench", "--from", case_folders, "--root", tmp_path / "r"),
                         "9 poses for a video of 4 frames")


def test_unknown_import_target(tmp_path: Path) -> None:
    assert_clean_failure(run_cli("data", "import", "kinetics", "--from", tmp_path), "cannot import suite 'kinetics'")
    assert_clean_failure(run_cli("data", "import", "custom", "--from", tmp_path), "needs a suite name")


def test_poses_extract_mode_names_the_missing_dwpose_weights(case_folders: Path, tmp_path: Path) -> None:
    result = run_cli("data", "import", "a2bench", "--from", case_folders, "--root", tmp_path / "r", "--poses",
                     "extract", "--dwpose-weights", tmp_path / "none")
    assert_clean_failure(result, "DWPose weights missing", "yolox_l.onnx")
    assert not (tmp_path / "r" / "a2bench").exists()


def test_poses_are_extracted_for_cases_without_them(case_folders: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from a2bench.data import importer
    from a2bench.data.importer import IMPORT_TARGETS, import_suite

    def fake_extractor(mode: str, weights: Path | None):
        return lambda video: PoseSequence(np.full((len(video), 18, 3), 0.25, np.float32), video.shape[1:3])

    monkeypatch.setattr(importer, "_pose_extractor", fake_extractor)
    report = import_suite(IMPORT_TARGETS["a2bench"], case_folders, tmp_path / "r")
    assert all("poses" in case.files for case in report.manifest.cases)
    assert not any("no poses.npz" in warning for warning in report.warnings)
    assert open_suite("a2bench", tmp_path / "r").verify(full=True) == []


def test_force_replaces_its_own_derivations_and_leftovers_only(tmp_path: Path) -> None:
    from a2bench.data.derive import derive_suite, parse_setting
    from a2bench.data.importer import IMPORT_TARGETS, import_suite
    from a2bench.errors import DataError

    source = tmp_path / "copy"
    for index in range(2):
        case = source / f"c{index}"
        write_png(case / "reference.png", video(1)[0])
        write_video(case / "video.mp4", video())
        save_poses(case / "poses.npz", PoseSequence(np.full((4, 18, 3), 0.5, np.float32), (32, 48)))
    root = tmp_path / "root"
    import_suite(IMPORT_TARGETS["tiktok"], source, root)
    derivation = derive_suite(open_suite("tiktok", root), parse_setting("rescaled"), 0)
    assert any(derivation.folder.rglob("*.png"))
    (derivation.folder / "c0" / "my_plot.png").write_bytes(b"the user's")
    with pytest.raises(DataError, match="did not write") as refused:
        import_suite(IMPORT_TARGETS["tiktok"], source, root, force=True)
    assert "my_plot.png" in refused.value.message and (derivation.folder / "c0" / "my_plot.png").exists()
    (derivation.folder / "c0" / "my_plot.png").unlink()
    report = import_suite(IMPORT_TARGETS["tiktok"], source, root, force=True)
    assert not derivation.folder.exists() and open_suite("tiktok", root).verify() == []
    assert sorted(p.name for p in report.folder.iterdir()) == ["c0", "c1", "suite.lock.json"]
