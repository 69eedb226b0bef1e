"""The CI job of docs/ci.md, run as printed there: its `ci/gate.sh` scores a checkpoint's videos on a CPU with the
pixel metrics and passes the same videos, fails worse ones with exit 1 and writes the JUnit report."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest

from a2bench.data.suites import Suite
from a2bench.video.io import read_video, write_video
from tests.cli_helpers import run_cli

DOC = Path(__file__).resolve().parents[1] / "docs" / "ci.md"
PIXEL_METRICS = "psnr,ssim,l1"


def gate_script() -> str:
    """The bash block that follows "`ci/gate.sh`:" in docs/ci.md."""
    match = re.search(r"`ci/gate\.sh`:\s*```bash\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert match, "docs/ci.md has no ci/gate.sh block"
    return match.group(1)


def checkpoint_videos(suite: Suite, folder: Path, offset: int) -> Path:
    """A checkpoint's videos: each case's ground truth brightened by `offset` (lossless PNG frames)."""
    for case in suite.cases():
        truth = read_video(case.ground_truth).astype(np.int16)
        write_video(folder / case.id, np.clip(truth + offset, 0, 255).astype(np.uint8))
    return folder


@pytest.fixture
def shell_env(tmp_path: Path, synth_mini: Suite) -> dict[str, str]:
    """The job's environment on a CPU runner: `a2bench` on PATH, the suite in A2BENCH_DATA, pixel metrics."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "a2bench"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m a2bench "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "A2BENCH_DATA": str(synth_mini.folder.parent), "SUITE": "synth-mini", "SETTING": "self",
            "METRICS": PIXEL_METRICS, "TOLERANCES": "psnr=0.2 ssim=0.005", "WEIGHTS": "", "DEVICE": "cpu"}


def test_the_documented_gate_passes_the_baseline_and_fails_a_regression(synth_mini: Suite, tmp_path: Path,
                                                                        shell_env: dict[str, str]) -> None:
    script = tmp_path / "gate.sh"
    script.write_text(gate_script(), encoding="utf-8")
    baseline_videos = checkpoint_videos(synth_mini, tmp_path / "baseline-videos", 3)
    baseline = tmp_path / "baseline"
    scored = run_cli("evaluate", "--pred", baseline_videos, "--suite", "synth-mini", "--setting", "self",
                     "--method", "my-model", "--metrics", PIXEL_METRICS, "--out", baseline, "--device", "cpu",
                     data_root=synth_mini.folder.parent)
    assert scored.returncode == 0, scored.stderr
    worse_videos = checkpoint_videos(synth_mini, tmp_path / "worse-videos", 12)
    for name, videos, status, verdict in (("same", baseline_videos, 0, "gate: pass"),
                                          ("worse", worse_videos, 1, "gate: REGRESSION")):
        job = tmp_path / name
        job.mkdir()
        result = subprocess.run(["bash", str(script)], cwd=job, capture_output=True, text=True, check=False,
                                env={**shell_env, "VIDEOS": str(videos), "BASELINE_RUN": str(baseline)})
        assert result.returncode == status, (name, result.stdout, result.stderr)
        assert verdict in result.stdout + result.stderr
        assert (job / "reports" / "gate.xml").is_file() and (job / "reports" / "leaderboard.html").is_file()
        assert (job / "runs" / "candidate" / "results.json").is_file()
    report = ElementTree.parse(tmp_path / "worse" / "reports" / "gate.xml")
    failed = {case.get("name") for case in report.iter("testcase") if case.find("failure") is not None}
    assert "psnr" in failed and "cases" not in failed
