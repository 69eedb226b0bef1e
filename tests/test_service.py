"""The evaluation service: runs directories that collect methods, refuse mixed identities, resume without
recomputing finished cases, and export what they stored (never relabelled by newer code)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from a2bench.evaluation import ScoringOptions, Target, export_results, prepare, protocol_drift
from a2bench.metrics.psnr import PSNR
from a2bench.pairs import match_folders
from a2bench.store import STORE_FILE
from a2bench.video.io import write_video
from tests.cli_helpers import assert_clean_failure, run_cli

RNG = np.random.default_rng(5)


def video(t: int = 6, seed: int | None = None) -> np.ndarray:
    rng = RNG if seed is None else np.random.default_rng(seed)
    return np.repeat(np.repeat(rng.integers(0, 256, (t, 4, 6, 3), dtype=np.uint8), 8, 1), 8, 2)


@pytest.fixture
def folders(tmp_path: Path) -> dict[str, Path]:
    """Ground truth and two methods' predictions of three cases."""
    out = {name: tmp_path / name for name in ("gt", "method-a", "method-b")}
    for case in ("c1", "c2", "c3"):
        truth = video()
        write_video(out["gt"] / case, truth)
        write_video(out["method-a"] / case, np.clip(truth.astype(int) + 9, 0, 255).astype(np.uint8))
        write_video(out["method-b"] / f"{case}.mp4", truth)
    return out


def test_several_evaluate_calls_fill_one_leaderboard(folders: dict[str, Path], tmp_path: Path) -> None:
    run = tmp_path / "run"
    for method in ("method-a", "method-b"):
        result = run_cli("evaluate", "--pred", folders[method], "--gt", folders["gt"], "--out", run)
        assert result.returncode == 0, result.stderr
    document = json.loads((run / "results.json").read_text())
    assert list(document["methods"]) == ["method-a", "method-b"]  # --method defaults to the folder's name
    assert document["methods"]["method-b"]["metrics"]["psnr"]["value"] > 30
    assert "| method-a |" in (run / "leaderboard.md").read_text() and (run / "leaderboard.html").exists()
    named = run_cli("evaluate", "--pred", folders["method-a"], "--gt", folders["gt"], "--out", run,
                    "--method", "a-again", "--json", tmp_path / "copy.json")
    assert named.returncode == 0, named.stderr
    assert set(json.loads((tmp_path / "copy.json").read_text())["methods"]) == {"method-a", "method-b", "a-again"}


@pytest.mark.parametrize(("options", "reason"), [
    (["--protocol", "a2bench-v1"], "protocol"),
    (["--metrics", "psnr,l1"], "metrics"),
    (["--fast"], "execution mode"),
])
def test_a_call_scored_differently_is_refused_with_the_reason(folders: dict[str, Path], tmp_path: Path,
                                                              options: list[str], reason: str) -> None:
    run = tmp_path / "run"
    assert run_cli("evaluate", "--pred", folders["method-a"], "--gt", folders["gt"], "--out", run).returncode == 0
    before = (run / "results.json").read_bytes()
    refused = run_cli("evaluate", "--pred", folders["method-b"], "--gt", folders["gt"], "--out", run, *options)
    assert_clean_failure(refused, reason, "scored differently", "another --out")
    assert (run / "results.json").read_bytes() == before


def test_other_ground_truth_is_refused(folders: dict[str, Path], tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert run_cli("evaluate", "--pred", folders["method-a"], "--gt", folders["gt"], "--out", run).returncode == 0
    other = tmp_path / "other-gt"
    for case in ("c1", "c2", "c3"):
        write_video(other / case, video())
    assert_clean_failure(run_cli("evaluate", "--pred", folders["method-b"], "--gt", other, "--out", run),
                         "ground-truth files")


def test_other_weights_are_refused(folders: dict[str, Path], tmp_path: Path) -> None:
    from a2bench.weights.random_init import init_random

    first, second = init_random(tmp_path / "w1", 1, ["fid-inception"]), init_random(tmp_path / "w2", 2,
                                                                                      ["fid-inception"])
    assert first and second
    run = tmp_path / "run"
    common = ["--gt", folders["gt"], "--out", run, "--metrics", "psnr,fid", "--bootstrap-resamples", "0"]
    assert run_cli("evaluate", "--pred", folders["method-a"], *common, "--weights-dir", tmp_path / "w1"
                   ).returncode == 0
    assert_clean_failure(run_cli("evaluate", "--pred", folders["method-b"], *common, "--weights-dir",
                                 tmp_path / "w2"), "weights fid-inception")


def test_a_metric_filled_in_later_with_random_weights_marks_the_run_uncalibrated(folders: dict[str, Path],
                                                                                  tmp_path: Path) -> None:
    from a2bench.weights.random_init import init_random

    run, empty = tmp_path / "run", tmp_path / "no-weights"
    empty.mkdir()
    common = ["--pred", folders["method-a"], "--gt", folders["gt"], "--out", run, "--metrics", "psnr,fid",
              "--bootstrap-resamples", "0", "--no-cache"]
    assert run_cli("evaluate", *common, "--weights-dir", empty).returncode == 0
    assert json.loads((run / "results.json").read_text())["methods"]["method-a"]["metrics"]["fid"]["skipped"]
    assert init_random(tmp_path / "random", 1, ["fid-inception"])
    filled = run_cli("evaluate", *common, "--weights-dir", tmp_path / "random")
    assert filled.returncode == 0, filled.stderr
    document = json.loads((run / "results.json").read_text())
    assert document["methods"]["method-a"]["metrics"]["fid"]["value"] is not None
    assert document["provenance"]["uncalibrated"] is True
    assert set(document["provenance"]["weights"]) == {"fid-inception"}
    assert "set_distances" in document["provenance"]
    assert list(document["provenance"]["execution"]) == ["fid-inception-pool3"]
    assert "UNCALIBRATED" in (run / "leaderboard.md").read_text()
    assert "UNCALIBRATED" in (run / "leaderboard.html").read_text()


def test_resume_keeps_values_of_unchanged_cases_and_rescores_changed_ones(
        folders: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = tmp_path / "run"
    pairs = match_folders(folders["method-a"], folders["gt"])
    serial = ScoringOptions(device="cpu", workers=0)  # scored in this process, where PSNR is counted
    prepare(run, serial, Target(), pairs).score("m", pairs)
    first = export_results(run)["methods"]["m"]
    computed: list[int] = []
    original = PSNR.per_frame

    def counting(self: PSNR, pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
        computed.append(len(pred))
        return original(self, pred, gt)

    monkeypatch.setattr(PSNR, "per_frame", counting)
    prepare(run, serial, Target(), pairs).score("m", pairs)
    assert computed == [] and export_results(run)["methods"]["m"] == first
    write_video(folders["method-a"] / "c2", video(seed=99))  # a new prediction for one case
    prepare(run, serial, Target(), pairs).score("m", pairs)
    assert computed == [6]
    changed = export_results(run)["methods"]["m"]["per_case"]
    assert changed["c1"] == first["per_case"]["c1"] and changed["c2"] != first["per_case"]["c2"]


def _rows(database: Path) -> int:
    try:
        with sqlite3.connect(database) as db:
            return db.execute("SELECT count(*) FROM cases").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def _children(pid: int) -> list[int]:
    """Processes (zombies aside) whose parent is `pid`, from Linux's /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, parent = stat.read_text().rsplit(")", 1)[1].split()[:2]
        except (OSError, ValueError):  # ended while being read
            continue
        if int(parent) == pid and state != "Z":
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_killed_evaluate_resumes_to_identical_numbers(tmp_path: Path, random_weights: Path) -> None:
    """Killed outright (SIGKILL) with worker processes running: the workers end too, the resumed run removes the
    killed one's scratch folder, and its numbers equal those of an uninterrupted run."""
    gt, pred = tmp_path / "gt", tmp_path / "pred"
    for index in range(5):
        truth = video(t=17, seed=index)
        write_video(gt / f"case{index}", truth)
        write_video(pred / f"case{index}", np.clip(truth.astype(int) - 11, 0, 255).astype(np.uint8))
    options = ["--pred", pred, "--gt", gt, "--protocol", "a2bench-v1", "--metrics", "psnr,ssim,lpips,fvd",
               "--weights-dir", random_weights, "--bootstrap-resamples", "5", "--device", "cpu", "--workers", "2"]
    killed, scratch = tmp_path / "killed", tmp_path / "scratch"
    scratch.mkdir()
    command = [sys.executable, "-m", "a2bench", "evaluate", *map(str, options), "--out", str(killed),
               "--cache-dir", str(tmp_path / "cache-killed")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "TMPDIR": str(scratch)})
    deadline = time.monotonic() + 300
    while _rows(killed / STORE_FILE) < 2:
        assert process.poll() is None and time.monotonic() < deadline, "evaluate ended before it could be killed"
        time.sleep(0.05)
    workers = _children(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert 2 <= _rows(killed / STORE_FILE) < 5
    if Path("/proc/self/stat").exists():
        assert len(workers) >= 2  # the host workers (and multiprocessing's resource tracker)
        deadline = time.monotonic() + 60
        while any(_running(pid) for pid in workers):
            assert time.monotonic() < deadline, "worker processes outlived the killed evaluate"
            time.sleep(0.1)
    assert len(list(scratch.glob("a2bench-scratch-*"))) == 1  # the killed run could not clean up
    resumed = run_cli("evaluate", *options, "--out", killed, "--cache-dir", tmp_path / "cache-killed",
                      env={"TMPDIR": str(scratch)})
    assert resumed.returncode == 0, resumed.stderr
    assert not list(scratch.glob("a2bench-scratch-*"))
    whole = run_cli("evaluate", *options, "--out", tmp_path / "whole", "--cache-dir", tmp_path / "cache-whole")
    assert whole.returncode == 0, whole.stderr
    a = json.loads((killed / "results.json").read_text())["methods"]["pred"]
    b = json.loads((tmp_path / "whole" / "results.json").read_text())["methods"]["pred"]
    assert a["per_case"] == b["per_case"]
    for name in ("psnr", "ssim", "lpips", "fvd"):
        assert a["metrics"][name]["value"] == pytest.approx(b["metrics"][name]["value"], rel=1e-12), name


def test_stored_runs_export_the_version_and_digest_they_were_scored_under(folders: dict[str, Path],
                                                                          tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert run_cli("evaluate", "--pred", folders["method-a"], "--gt", folders["gt"], "--out", run).returncode == 0
    with sqlite3.connect(run / STORE_FILE) as db:  # as if scored by an older a2bench
        text, identity_text = db.execute("SELECT protocol, identity FROM runs").fetchone()
        record, identity = json.loads(text), json.loads(identity_text)
        record.update(version="1.0", digest="0" * 64)
        identity.update(protocol_version="1.0", protocol_digest="0" * 64)
        record["metric_info"]["psnr"]["label"] = "PSNR (then)"
        db.execute("UPDATE runs SET protocol=?, identity=?", (json.dumps(record), json.dumps(identity)))
    document = export_results(run)
    assert document["protocol"] == {"id": "animatex-paper", "version": "1.0", "digest": "0" * 64}
    assert document["metric_info"]["psnr"]["label"] == "PSNR (then)"
    assert "scored under animatex-paper v1.0" in (protocol_drift(document) or "")
    reported = run_cli("report", run)
    assert reported.returncode == 0 and "scored under animatex-paper v1.0" in reported.stderr
    assert json.loads((run / "results.json").read_text())["protocol"]["version"] == "1.0"
    refused = run_cli("evaluate", "--pred", folders["method-b"], "--gt", folders["gt"], "--out", run)
    assert_clean_failure(refused, "protocol version")
