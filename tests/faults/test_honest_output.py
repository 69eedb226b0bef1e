"""Item 6: output that reads right at 80 columns and through a pipe, output files with the usual mode, and restore
hints that name the right command."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from a2bench.cli.app import app
from a2bench.reports.runs import load_run
from a2bench.reports.table import build_leaderboard
from a2bench.video.io import write_png, write_video
from a2bench.weights.registry import WEIGHTS
from tests.cli_helpers import assert_clean_failure, run_cli
from tests.faults.conftest import frames
from tests.report_runs import make_run


def _commands(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every leaf command under `command` with the words that reach it (typer's click or its vendored copy)."""
    if hasattr(command, "commands"):
        return [found for name, sub in command.commands.items() for found in _commands(sub, (*path, name))]
    return [(path, command)]


def test_help_shows_every_option_name_whole_at_80_columns() -> None:
    runner = CliRunner()
    root = typer.main.get_command(app)
    commands = _commands(root)
    assert len(commands) > 10
    for path, command in commands:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"}, prog_name="a2bench")
        assert result.exit_code == 0, (path, result.output)
        assert max(len(line) for line in result.output.splitlines()) <= 80, (path, result.output)
        for param in command.params:
            for name in [*param.opts, *param.secondary_opts]:
                if name.startswith("-"):
                    assert name in result.output, (path, name, result.output)
    piped = subprocess.run([sys.executable, "-m", "a2bench", "evaluate", "--help"], capture_output=True, text=True,
                           env={**os.environ, "COLUMNS": "80"}, check=True)
    assert "--bootstrap-resamples" in piped.stdout and "…" not in piped.stdout


def test_weights_list_and_skip_reasons_are_whole_at_80_columns(tmp_path: Path, folders: tuple[Path, Path]) -> None:
    env = {**os.environ, "COLUMNS": "80"}
    listing = subprocess.run([sys.executable, "-m", "a2bench", "weights", "list", "--dir", str(tmp_path)],
                             capture_output=True, text=True, env=env, check=True).stdout
    for spec in WEIGHTS.values():
        assert f"{spec.name}: missing" in listing and spec.filename in listing
    pred, gt = folders
    scored = subprocess.run([sys.executable, "-m", "a2bench", "evaluate", "--pred", str(pred), "--gt", str(gt),
                             "--metrics", "psnr,fid", "--weights-dir", str(tmp_path)], capture_output=True, text=True,
                            env=env, check=True)
    (line,) = [line for line in scored.stderr.splitlines() if line.startswith("skipped fid:")]
    assert f"run `a2bench weights fetch fid-inception --dir {tmp_path}`" in line
    assert (scored.stdout + scored.stderr).count("weights fetch fid-inception") == 1  # the reason once
    assert "FID" not in scored.stdout and "…" not in scored.stdout  # no empty column, no value cut short


def test_report_keeps_every_number_whole_at_80_columns_through_a_pipe(tmp_path: Path) -> None:
    values = {method: {f"c{i}": {"psnr": 20.123456 + i + shift, "ssim": 0.81234 + i / 100, "l1": 1.23456e-4 * (i + 1)}
                       for i in range(4)} for method, shift in (("static", 0.0), ("pose-warp-with-a-long-name", 9.0))}
    reason = f"{tmp_path}/vgg16-397923af.pth: weights 'vgg16' are not in {tmp_path} — run `a2bench weights fetch vgg16`"
    run = make_run(tmp_path / "run", values, skipped={method: {"lpips": reason} for method in values})
    result = run_cli("report", run, "--markdown", tmp_path / "board.md", env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    board = build_leaderboard(load_run(run).results)
    for row in board.rows:
        for cell in row.cells:
            if cell.value is not None:  # each value and each end of its interval whole on a line
                assert all(any(text in line for line in result.stdout.splitlines())
                           for text in (cell.text, *cell.interval.split())), (cell, result.stdout)
    assert max(len(line) for line in result.stdout.splitlines()) <= 80 and "LPIPS" not in result.stdout
    assert result.stderr.splitlines() == [f"skipped lpips: {reason}"]  # once for both methods, never re-wrapped


def test_a_skipped_metric_names_every_missing_weights_file_in_one_fetch_command(tmp_path: Path,
                                                                                folders: tuple[Path, Path]) -> None:
    pred, gt, weights = *folders, tmp_path / "weights"

    def skip_line() -> str:
        scored = run_cli("evaluate", "--pred", pred, "--gt", gt, "--metrics", "psnr,lpips", "--weights-dir", weights)
        assert scored.returncode == 0, scored.stderr
        (line,) = [line for line in scored.stderr.splitlines() if line.startswith("skipped lpips:")]
        return line

    assert skip_line() == (f"skipped lpips: {weights}: weights 'vgg16' (vgg16-397923af.pth) and 'lpips-vgg-lin' "
                           "(lpips-v0.1-vgg.pth) are not in this folder — run `a2bench weights fetch vgg16 "
                           f"lpips-vgg-lin --dir {weights}`")
    assert run_cli("weights", "fetch", "lpips-vgg-lin", "--dir", weights).returncode == 0
    assert skip_line() == (f"skipped lpips: {weights / 'vgg16-397923af.pth'}: weights 'vgg16' (vgg16-397923af.pth) "
                           f"are not in {weights} — run `a2bench weights fetch vgg16 --dir {weights}`")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_results_json_has_the_mode_of_the_other_outputs(folders: tuple[Path, Path], tmp_path: Path) -> None:
    pred, gt = folders
    run, extra = tmp_path / "run", tmp_path / "extra.json"
    result = run_cli("evaluate", "--pred", pred, "--gt", gt, "--metrics", "psnr", "--out", run, "--json", extra)
    assert result.returncode == 0, result.stderr
    umask = os.umask(0)
    os.umask(umask)
    expected = 0o666 & ~umask
    assert _mode(run / "results.json") == _mode(run / "leaderboard.html") == _mode(run / "leaderboard.md") == expected
    assert _mode(extra) == expected


def test_restore_hint_of_a_custom_suite_names_the_custom_import(tmp_path: Path) -> None:
    source, root = tmp_path / "copy", tmp_path / "root"
    write_png(source / "c1" / "reference.png", frames(0, t=1)[0])
    write_video(source / "c1" / "video.mp4", frames(0, t=4))
    assert run_cli("data", "import", "custom", "mine", "--from", source, "--root", root).returncode == 0
    (root / "mine" / "c1" / "video.mp4").unlink()
    result = run_cli("data", "verify", "mine", "--root", root)
    assert result.returncode == 1
    assert "`a2bench data import custom mine --from DIR --force`" in result.stderr
    assert_clean_failure(run_cli("evaluate", "--suite", "mine", "--pred", source, "--root", root),
                         "a2bench data import custom mine --from DIR --force")
