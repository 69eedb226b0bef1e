"""Item 1: what is scored against a suite is its verified ground truth; `data verify --fast` says what it checked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from a2bench.data.suites import open_suite
from a2bench.video.io import frame_files, read_image, write_png
from tests.cli_helpers import assert_clean_failure, run_cli


def _predictions(root: Path, out: Path) -> Path:
    """Predictions equal to synth-mini's ground truth, one frame folder per case."""
    for case in open_suite("synth-mini", root).cases():
        shutil.copytree(case.ground_truth, out / case.id)  # type: ignore[arg-type]
    return out


def test_a_replaced_ground_truth_frame_is_refused_by_name_unless_unverified(suite_copy: Path, tmp_path: Path) -> None:
    pred = _predictions(suite_copy, tmp_path / "pred")
    suite = open_suite("synth-mini", suite_copy)
    altered = suite.cases()[0].ground_truth
    frame = frame_files(altered)[5]  # type: ignore[arg-type]
    pixels = read_image(frame).copy()
    pixels[10:20, 10:20] = 255 - pixels[10:20, 10:20]  # the finding: one frame replaced, same size on disk or not
    write_png(frame, pixels)
    out = tmp_path / "r.json"
    refused = run_cli("evaluate", "--suite", "synth-mini", "--root", suite_copy, "--pred", pred, "--metrics", "psnr",
                      "--json", out)
    assert_clean_failure(refused, str(altered), "differs from the suite's manifest", "--unverified")
    assert not out.exists()

    scored = run_cli("evaluate", "--suite", "synth-mini", "--root", suite_copy, "--pred", pred, "--metrics", "psnr",
                     "--unverified", "--json", out)
    assert scored.returncode == 0, scored.stderr
    block = json.loads(out.read_text())["suite"]
    clean = suite.manifest.fingerprint()
    assert block["verified"] is False
    assert block["manifest_fingerprint"] == clean and block["fingerprint"] != clean
    per_case = json.loads(out.read_text())["methods"]["pred"]["per_case"]
    assert per_case[suite.cases()[0].id]["psnr"] < 100 and np.isclose(per_case[suite.cases()[1].id]["psnr"], 100)


def test_fast_verify_says_it_checked_presence_and_sizes_only(suite_copy: Path) -> None:
    fast = run_cli("data", "verify", "synth-mini", "--fast", "--root", suite_copy)
    assert fast.returncode == 0, fast.stderr
    assert "files verified" not in fast.stdout
    assert "present with the manifest's sizes" in fast.stdout and "contents were not hashed" in fast.stdout
    full = run_cli("data", "verify", "synth-mini", "--root", suite_copy)
    assert full.returncode == 0 and "files verified: each one's sha256 matches the manifest" in full.stdout
