"""The demo end to end, `report`, `suites list` and `data verify` as a user runs them."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from a2bench.data.suites import Suite
from a2bench.metrics import get_protocol
from tests.cli_helpers import assert_clean_failure, run_cli


@pytest.fixture(scope="module")
def demo_run(synth_mini: Suite, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo")
    result = run_cli("demo", "--out", out, "--root", synth_mini.folder.parent, weights=out / "no-weights")
    assert result.returncode == 0, result.stderr
    return out, result.stdout


@pytest.mark.slow
def test_demo_prints_table_and_html_path(demo_run: tuple[Path, str]) -> None:
    out, stdout = demo_run
    assert "pose-warp" in stdout and "static" in stdout and "PSNR*" in stdout
    assert str((out / "leaderboard.html").resolve()) in stdout.replace("\n", "")
    html = (out / "leaderboard.html").read_text()
    assert "<table" in html and "pose-warp" in html
    assert "http://" not in html and "https://" not in html and html.count("<script") == 1  # the page's own, inline
    assert "<code>a2bench weights fetch vgg16 lpips-vgg-lin</code>" in html  # skipped metrics say how to get all


@pytest.mark.slow
def test_demo_results_have_the_documented_shape(demo_run: tuple[Path, str]) -> None:
    out, _ = demo_run
    document = json.loads((out / "results.json").read_text())
    assert document["suite"]["id"] == "synth-mini" and len(document["suite"]["fingerprint"]) == 64
    protocol = get_protocol("animatex-paper")
    assert document["protocol"] == {"id": "animatex-paper", "version": protocol.version, "digest": protocol.digest()}
    for method in ("static", "pose-warp"):
        entry = document["methods"][method]
        assert list(entry["metrics"]) == get_protocol("animatex-paper").metric_names()
        for name, metric in entry["metrics"].items():
            if name in ("psnr", "psnr_legacy", "ssim", "l1"):
                assert set(metric) == {"value", "ci95", "n"} and metric["n"] == 8
            else:  # no weights installed: listed with the command that fetches them, never a silent gap
                assert metric["value"] is None and "a2bench weights fetch" in metric["skipped"], name
        assert len(entry["per_case"]) == 8
    assert document["methods"]["pose-warp"]["metrics"]["psnr"]["value"] > \
        document["methods"]["static"]["metrics"]["psnr"]["value"]


@pytest.mark.slow
def test_store_is_one_sqlite_file_at_rest_with_provenance(demo_run: tuple[Path, str]) -> None:
    out, _ = demo_run
    assert sorted(path.name for path in out.glob("a2bench.sqlite*")) == ["a2bench.sqlite"]  # no -wal, -shm left
    with sqlite3.connect(f"{(out / 'a2bench.sqlite').as_uri()}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # WAL while open, one file when done
        (provenance,) = db.execute("SELECT provenance FROM runs").fetchone()
        assert db.execute("SELECT count(*) FROM metric_values").fetchone()[0] == 2 * 8 * 4
    assert set(json.loads(provenance)["seeds"]) == {"generation", "bootstrap"}


@pytest.mark.slow
def test_demo_resumes_without_counting_twice(demo_run: tuple[Path, str], synth_mini: Suite) -> None:
    out, _ = demo_run
    again = run_cli("demo", "--out", out, "--root", synth_mini.folder.parent, weights=out / "no-weights")
    assert again.returncode == 0, again.stderr
    with sqlite3.connect(out / "a2bench.sqlite") as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
        assert db.execute("SELECT count(*) FROM metric_values").fetchone()[0] == 2 * 8 * 4


@pytest.mark.slow
def test_report_rerenders_a_run_directory(demo_run: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = demo_run
    copy = tmp_path / "run"
    shutil.copytree(out, copy)
    (copy / "leaderboard.html").unlink()
    result = run_cli("report", copy)
    assert result.returncode == 0, result.stderr
    assert (copy / "leaderboard.html").exists() and (copy / "leaderboard.md").exists()
    assert "| pose-warp |" in (copy / "leaderboard.md").read_text()


def test_report_of_a_missing_directory_fails_cleanly(tmp_path: Path) -> None:
    assert_clean_failure(run_cli("report", tmp_path / "nowhere"), "nowhere")


def test_suites_list_shows_synth_mini(data_root: Path) -> None:
    result = run_cli("suites", "list", data_root=data_root)
    assert result.returncode == 0 and "synth-mini" in result.stdout


def test_data_verify_reports_altered_files_by_name(synth_mini: Suite, tmp_path: Path) -> None:
    shutil.copytree(synth_mini.folder, tmp_path / "synth-mini")
    ok = run_cli("data", "verify", "synth-mini", "--root", tmp_path)
    assert ok.returncode == 0 and "verified" in ok.stdout
    reference = tmp_path / "synth-mini" / synth_mini.cases()[2].id / "reference.png"
    reference.write_bytes(b"not a png")
    bad = run_cli("data", "verify", "synth-mini", "--root", tmp_path)
    assert bad.returncode == 1 and str(reference) in bad.stderr and "Traceback" not in bad.stderr


def test_unknown_suite_and_absent_suite(data_root: Path) -> None:
    assert_clean_failure(run_cli("data", "verify", "synth-maxi", data_root=data_root), "unknown suite 'synth-maxi'")
    assert_clean_failure(run_cli("data", "verify", "synth-mini", data_root=data_root), "not present",
                         "a2bench data download synth-mini")


@pytest.mark.parametrize("command", [[], ["demo"], ["evaluate"], ["data", "verify"], ["report"], ["suites", "list"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.returncode == 0 and "Usage" in result.stdout


def test_cli_start_up_imports_no_heavy_libraries() -> None:
    import subprocess
    import sys

    code = ("import sys, a2bench.cli; heavy = {'torch', 'scipy', 'skimage', 'cv2', 'open_clip', 'lpips'} & "
            "set(sys.modules); assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)
