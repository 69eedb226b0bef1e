"""Item 5: nothing degrades silently: deep PNGs, distorting resizes, empty metric lists, Fréchet rounding, Ctrl-C,
runs of one setting derived with other seeds."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from a2bench.metrics.frechet import frechet_distance, frechet_distance_features, gaussian_stats
from a2bench.video.io import write_video
from tests.cli_helpers import assert_clean_failure, run_cli
from tests.faults.conftest import frames
from tests.report_runs import make_run


@pytest.mark.parametrize("channels", [1, 3])
def test_16_bit_frames_are_refused_alike_gray_or_rgb(channels: int, folders: tuple[Path, Path]) -> None:
    pred, gt = folders
    deep = (frames(5).astype(np.uint16) * 257)[..., :channels].squeeze()
    frame = gt / "clip_a" / "00001.png"
    assert cv2.imwrite(str(frame), deep[1])
    assert_clean_failure(run_cli("evaluate", "--pred", pred, "--gt", gt, "--metrics", "psnr"), str(frame),
                         "more than 8 bits per channel", "export the frames as 8-bit PNG")


def test_distorting_resizes_are_warned_about_per_case_and_noted(tmp_path: Path) -> None:
    pred, gt = tmp_path / "pred", tmp_path / "gt"
    write_video(gt / "wide", frames(1, h=24, w=48))
    write_video(pred / "wide", frames(1, h=24, w=24))  # aspect 1.0 scored against 2.0
    write_video(gt / "small", frames(2, h=48, w=48))
    write_video(pred / "small", frames(2, h=16, w=16))  # upsampled 3×
    write_video(gt / "same", frames(3))
    write_video(pred / "same", frames(3))
    out = tmp_path / "r.json"
    result = run_cli("evaluate", "--pred", pred, "--gt", gt, "--metrics", "psnr", "--json", out)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert any(line.startswith("warning: wide: ") and "aspect" in line for line in warnings), result.stderr
    assert any(line.startswith("warning: small: ") and "upsampled 3.0×" in line for line in warnings), result.stderr
    assert not any("same" in line for line in warnings)
    notes = json.loads(out.read_text())["methods"]["pred"]["notes"]
    assert set(notes) == {"wide", "small"}


@pytest.mark.parametrize("metrics", [",", " , ,"])
def test_a_metric_list_naming_nothing_is_an_error(metrics: str, folders: tuple[Path, Path]) -> None:
    pred, gt = folders
    assert_clean_failure(run_cli("evaluate", "--pred", pred, "--gt", gt, "--metrics", metrics), "names no metric")


def test_runs_of_one_setting_derived_with_other_seeds_are_never_one_table(tmp_path: Path) -> None:
    values = {"m": {"c1": {"psnr": 20.0}, "c2": {"psnr": 21.0}}}
    seeds = [make_run(tmp_path / f"seed{seed}", {f"m{seed}": values["m"]}, setting="rescaled", derive_seed=seed)
             for seed in (0, 1)]
    page = tmp_path / "page.html"
    assert_clean_failure(run_cli("report", *seeds, "--html", page), "seed0 and ", "seed1 of setting rescaled differ (",
                         "derivation seed: 0 vs 1); one setting's table takes runs of one derivation — pass runs "
                         "derived with the same --derive-seed, or report them separately")
    assert not page.exists()
    beside_self = run_cli("report", make_run(tmp_path / "self", values), seeds[1], "--html", page)
    assert beside_self.returncode == 0, beside_self.stderr  # `self` has no seed; a seed-1 derivation joins it


def test_frechet_distance_of_identical_sets_is_exactly_zero() -> None:
    rng = np.random.default_rng(3)
    for rows, dims in ((6, 256), (40, 16), (300, 64)):
        x = rng.normal(size=(rows, dims)) @ rng.normal(size=(dims, dims))
        assert frechet_distance_features(x, x) == 0.0
        stats = gaussian_stats(x)
        assert frechet_distance(*stats, *stats) == 0.0
    assert frechet_distance_features(x, x + 1.0) > 0


def _scored_cases(store: Path) -> int:
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
            return db.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_ctrl_c_says_completed_work_is_saved_and_keeps_it(tmp_path: Path) -> None:
    pred, gt = tmp_path / "pred", tmp_path / "gt"
    video = frames(0, t=24, h=256, w=256)
    write_video(gt / "c00", video)
    write_video(pred / "c00", video)
    for index in range(1, 40):  # the same videos under many case names: slow enough to interrupt, cheap to make
        (gt / f"c{index:02d}").symlink_to(gt / "c00")
        (pred / f"c{index:02d}").symlink_to(pred / "c00")
    run = tmp_path / "run"
    process = subprocess.Popen([sys.executable, "-m", "a2bench", "evaluate", "--pred", str(pred), "--gt", str(gt),
                                "--metrics", "psnr,ssim", "--out", str(run)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"})
    deadline = time.monotonic() + 120
    while _scored_cases(run / "a2bench.sqlite") == 0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    scored = _scored_cases(run / "a2bench.sqlite")
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted: everything completed so far is saved" in stderr and "Traceback" not in stderr
    assert 1 <= scored <= _scored_cases(run / "a2bench.sqlite") < 40
