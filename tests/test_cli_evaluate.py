"""`a2bench evaluate`: scores folders of videos; every bad input fails cleanly with nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from a2bench.metrics import get_protocol
from a2bench.video.io import write_video
from tests.cli_helpers import assert_clean_failure, run_cli

RNG = np.random.default_rng(11)


def frames(t: int = 4, h: int = 32, w: int = 48) -> np.ndarray:
    return np.repeat(np.repeat(RNG.integers(0, 256, (t, h // 8, w // 8, 3), dtype=np.uint8), 8, 1), 8, 2)


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    pred, gt = tmp_path / "pred", tmp_path / "gt"
    for name in ("clip_a", "clip_b"):
        video = frames()
        write_video(gt / name, video)
        write_video(pred / f"{name}.mp4", video)
    return pred, gt


def test_scores_mp4_predictions_against_frame_folders(folders: tuple[Path, Path], tmp_path: Path) -> None:
    pred, gt = folders
    out = tmp_path / "results.json"
    result = run_cli("evaluate", "--pred", pred, "--gt", gt, "--metrics", "psnr,ssim,l1,psnr_legacy", "--json", out)
    assert result.returncode == 0, result.stderr
    document = json.loads(out.read_text())
    protocol = get_protocol("animatex-paper")
    assert document["protocol"] == {"id": "animatex-paper", "version": protocol.version, "digest": protocol.digest()}
    assert set(document["methods"]) == {"pred"}
    method = document["methods"]["pred"]
    assert set(method["per_case"]) == {"clip_a", "clip_b"}
    assert method["metrics"]["psnr"]["n"] == 2
    assert method["metrics"]["psnr"]["value"] > 30
    low, high = method["metrics"]["psnr"]["ci95"]
    assert low <= method["metrics"]["psnr"]["value"] <= high
    assert document["provenance"]["packages"]["numpy"] == np.__version__
    assert "PSNR*" in result.stdout


def test_suite_value_is_the_mean_over_all_frames(tmp_path: Path) -> None:
    pred, gt = tmp_path / "pred", tmp_path / "gt"
    short, long = frames(t=2), frames(t=6)
    write_video(gt / "short", short)
    write_video(gt / "long", long)
    write_video(pred / "short", short)
    write_video(pred / "long", np.zeros_like(long))
    out = tmp_path / "r.json"
    assert run_cli("evaluate", "--pred", pred, "--gt", gt, "--metrics", "l1", "--json", out).returncode == 0
    l1 = json.loads(out.read_text())["methods"]["pred"]["metrics"]["l1"]["value"]
    expected = np.abs(long.astype(np.float64)).mean(axis=(1, 2, 3)).sum() / (32 * 48) / 8
    assert l1 == pytest.approx(expected, rel=1e-9)


def test_missing_folder(folders: tuple[Path, Path], tmp_path: Path) -> None:
    _, gt = folders
    assert_clean_failure(run_cli("evaluate", "--pred", tmp_path / "nope", "--gt", gt), "nope", "does not exist")


def test_unmatched_names(folders: tuple[Path, Path], tmp_path: Path) -> None:
    pred, gt = folders
    write_video(pred / "extra", frames())
    out = tmp_path / "r.json"
    assert_clean_failure(run_cli("evaluate", "--pred", pred, "--gt", gt, "--json", out), "'extra'", "same file stem")
    assert not out.exists()


def test_truncated_video(folders: tuple[Path, Path], tmp_path: Path) -> None:
    pred, gt = folders
    data = (pred / "clip_b.mp4").read_bytes()
    (pred / "clip_b.mp4").write_bytes(data[: len(data) // 2])
    out = tmp_path / "r.json"
    assert_clean_failure(run_cli("evaluate", "--pred", pred, "--gt", gt, "--json", out), "clip_b.mp4")
    assert not out.exists()


def test_frame_counts_that_differ(folders: tuple[Path, Path], tmp_path: Path) -> None:
    pred, gt = folders
    write_video(pred / "clip_a.mp4", frames(t=3))
    out = tmp_path / "r.json"
    assert_clean_failure(run_cli("evaluate", "--pred", pred, "--gt", gt, "--json", out), "clip_a.mp4",
                         "3 frames", "has 4")
    assert not out.exists()


def test_unknown_protocol_and_metric(folders: tuple[Path, Path]) -> None:
    pred, gt = folders
    assert_clean_failure(run_cli("evaluate", "--pred", pred, "--gt", gt, "--protocol", "disco"),
                         "unknown protocol 'disco'", "animatex-paper")
    assert_clean_failure(run_cli("evaluate", "--pred", pred, "--gt", gt, "--metrics", "psnr,fvdd"),
                         "unknown metric 'fvdd'")


def test_empty_ground_truth_folder(folders: tuple[Path, Path], tmp_path: Path) -> None:
    pred, _ = folders
    (tmp_path / "empty").mkdir()
    assert_clean_failure(run_cli("evaluate", "--pred", pred, "--gt", tmp_path / "empty"), "no videos")


def test_scores_against_a_suite_and_records_its_fingerprint(synth_mini, tmp_path: Path) -> None:
    pred = tmp_path / "pred"
    for case in synth_mini.cases():
        write_video(pred / case.id, np.zeros((24, 128, 128, 3), np.uint8))
    out = tmp_path / "r.json"
    result = run_cli("evaluate", "--pred", pred, "--suite", "synth-mini", "--root", synth_mini.folder.parent,
                     "--json", out)
    assert result.returncode == 0, result.stderr
    document = json.loads(out.read_text())
    assert document["suite"]["fingerprint"] == synth_mini.manifest.fingerprint()
    assert document["methods"]["pred"]["metrics"]["psnr"]["n"] == 8


def test_suite_and_gt_are_exclusive_and_case_ids_must_match(synth_mini, folders: tuple[Path, Path]) -> None:
    pred, _ = folders
    assert_clean_failure(run_cli("evaluate", "--pred", pred), "either --gt DIR or --suite NAME")
    assert_clean_failure(run_cli("evaluate", "--pred", pred, "--suite", "synth-mini", "--root",
                                 synth_mini.folder.parent), "are not cases of synth-mini")


def test_cache_info_and_clear_touch_only_what_the_cache_wrote(tmp_path: Path) -> None:
    from a2bench.metrics.cache import FeatureCache
    from tests.test_cache import CountingExtractor

    cache, video = FeatureCache(tmp_path / "cache"), frames()
    entry = cache.path(video, "toy")
    cache.features(CountingExtractor("toy"), video)
    user_file = tmp_path / "cache" / "proj" / "important.npy"  # a user's file that looks like an entry
    user_file.parent.mkdir()
    np.save(user_file, np.zeros(2))
    info = run_cli("cache", "info", "--cache-dir", tmp_path / "cache")
    assert info.returncode == 0 and "1 entries" in info.stdout
    cleared = run_cli("cache", "clear", "--cache-dir", tmp_path / "cache")
    assert cleared.returncode == 0 and "removed 1 entries" in cleared.stdout
    assert not entry.exists() and user_file.exists()
