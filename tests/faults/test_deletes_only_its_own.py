"""Item 2: a2bench deletes only what it created (feature cache, `data import --force`, killed generation) and
overwrites only what it wrote (`weights init-random`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from a2bench.atomic import temp_prefix
from a2bench.data.suites import open_suite
from a2bench.errors import A2BenchError
from a2bench.generate.runner import GenerateOptions, generate, job_paths
from a2bench.metrics.cache import MARKER, FeatureCache
from a2bench.video.io import write_png, write_video
from a2bench.weights.random_init import init_random
from a2bench.weights.registry import get_spec
from a2bench.weights.store import file_sha256, is_uncalibrated
from tests.cli_helpers import assert_clean_failure, run_cli
from tests.faults.conftest import frames


class _Rows:
    """A feature extractor stand-in: one row per frame."""

    key = "test-rows-v1"

    def extract(self, video: np.ndarray) -> np.ndarray:
        return video.reshape(len(video), -1)[:, :4].astype(np.float64)


def _user_files(folder: Path) -> list[Path]:
    files = [folder / "proj" / "important.npy", folder / "other" / "notes.tmp"]
    for file in files:
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(b"the user's")
    return files


def test_cache_clear_never_deletes_user_files_in_the_cache_dir(tmp_path: Path) -> None:
    foreign = tmp_path / "not-a-cache"
    mine = _user_files(foreign)
    assert_clean_failure(run_cli("cache", "clear", "--cache-dir", foreign), str(foreign),
                         "not an a2bench feature cache")
    assert all(file.read_bytes() == b"the user's" for file in mine)

    cache_dir = tmp_path / "cache"
    FeatureCache(cache_dir).features(_Rows(), frames(0))  # type: ignore[arg-type]
    mine = _user_files(cache_dir)
    result = run_cli("cache", "clear", "--cache-dir", cache_dir)
    assert result.returncode == 0 and "removed 1 entries" in result.stdout, result.stderr
    assert all(file.read_bytes() == b"the user's" for file in mine)
    assert (cache_dir / MARKER).is_file() and not list(cache_dir.rglob("*/[0-9a-f]*.npy"))


def _case_folders(source: Path) -> Path:
    for index in range(2):
        write_png(source / f"char{index}" / "reference.png", frames(index, t=1)[0])
        write_video(source / f"char{index}" / "video.mp4", frames(index, t=4))
    return source


def test_import_force_refuses_a_folder_holding_user_files_and_deletes_only_its_own(tmp_path: Path) -> None:
    source, root = _case_folders(tmp_path / "copy"), tmp_path / "root"
    assert run_cli("data", "import", "custom", "mine", "--from", source, "--root", root).returncode == 0
    notes = root / "mine" / "MY_NOTES.txt"
    notes.write_text("do not delete")
    refused = run_cli("data", "import", "custom", "mine", "--from", source, "--root", root, "--force")
    assert_clean_failure(refused, str(root / "mine"), "MY_NOTES.txt", "nothing was replaced or deleted")
    assert notes.read_text() == "do not delete" and open_suite("mine", root).verify() == []

    notes.unlink()
    leftover = root / "mine" / "char0" / f"{temp_prefix(Path('video.mp4'))}killed"
    leftover.write_bytes(b"half a copy")  # what a killed earlier import left behind
    replaced = run_cli("data", "import", "custom", "mine", "--from", source, "--root", root, "--force")
    assert replaced.returncode == 0, replaced.stderr
    assert not leftover.exists() and open_suite("mine", root).verify() == []


def test_killed_generation_leftovers_are_removed_on_resume_and_nothing_else(synth_mini, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    cases = synth_mini.cases()
    video, _, _ = job_paths(run_dir, "static", 0, cases[0].id)
    folder = video.parent
    killed = folder / f"{temp_prefix(video)}x1"
    killed.mkdir(parents=True)
    (killed / "00000.png").write_bytes(b"half a frame")
    user = folder / ".tmp-mine"
    user.mkdir()
    (folder / "README.txt").write_text("my notes")
    summary = generate(run_dir, GenerateOptions(suite=synth_mini.name, methods=("static",),
                                                root=synth_mini.folder.parent))
    assert not summary.failed and not killed.exists()
    assert user.is_dir() and (folder / "README.txt").read_text() == "my notes"
    assert all(job_paths(run_dir, "static", 0, case.id)[0].is_dir() for case in cases)


def test_init_random_overwrites_only_files_it_wrote(tmp_path: Path) -> None:
    folder = tmp_path / "random"
    folder.mkdir()
    lpips, i3d = folder / get_spec("lpips-vgg-lin").filename, folder / get_spec("i3d-kinetics400").filename
    lpips.write_text("REAL\n")  # a file of the user's where init-random copies the lpips linear layers
    refused = run_cli("weights", "init-random", "--dir", folder, "--only", "lpips-vgg-lin")
    assert_clean_failure(refused, f"error: {lpips}: refusing to overwrite weights that init-random did not write — "
                         "choose another --dir for random weights")
    assert lpips.read_text() == "REAL\n"

    lpips.unlink()
    init_random(folder, 0, ["lpips-vgg-lin", "i3d-kinetics400"])
    first = file_sha256(i3d)
    init_random(folder, 1, ["lpips-vgg-lin", "i3d-kinetics400"])  # its own files: rewritten
    assert file_sha256(i3d) != first and is_uncalibrated(i3d)
    assert file_sha256(lpips) == get_spec("lpips-vgg-lin").sha256

    i3d.write_bytes(b"the user's")  # copied over init-random's file: no longer the file it recorded
    with pytest.raises(A2BenchError, match="refusing to overwrite weights that init-random did not write"):
        init_random(folder, 2, ["i3d-kinetics400"])
    assert i3d.read_bytes() == b"the user's"
