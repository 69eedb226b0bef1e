"""`a2bench report` as a user runs it: several runs into one page and one set of tables, the paper's rows, the
in-place re-export, and every bad input as one line naming it, with exit status 1 and nothing written."""

from __future__ import annotations

import io
import json
import re
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from a2bench.cli.app import main
from tests.cli_helpers import assert_clean_failure, run_cli
from tests.report_runs import make_run

VALUES = {"alpha": {"c1": {"psnr": 20.0, "l1": 2e-4}, "c2": {"psnr": 22.0, "l1": 1e-4}},
          "beta": {"c1": {"psnr": 25.0, "l1": 1e-4}, "c2": {"psnr": 24.0, "l1": 3e-4}}}
TAGS = {"c1": {"body_structure": "humanoid"}, "c2": {"body_structure": "armless"}}


@pytest.fixture
def runs(tmp_path: Path) -> dict[str, Path]:
    return {setting: make_run(tmp_path / setting.replace(":", "_").replace("=", "-"), VALUES, setting=setting,
                              tags=TAGS, suite="a2bench")
            for setting in ("self", "rescaled", "track:arms=0.5")}


def test_several_settings_become_one_page_and_one_set_of_tables(runs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("report", *runs.values(), "--html", out / "board.html", "--latex", out / "tables.tex",
                     "--markdown", out / "board.md", "--csv", out / "values.csv", "--reference",
                     "table1_a2bench_rescaled", "--no-previews")
    assert result.returncode == 0, result.stderr
    for name in ("board.html", "tables.tex", "board.md", "values.csv"):
        assert str((out / name).resolve()) in result.stdout.replace("\n", "")
    html = (out / "board.html").read_text()
    tabs = re.findall(r'role="tab" id="tab-s\d+" aria-controls="panel-s\d+">([^<]+)<', html)
    assert tabs == ["self", "rescaled", "track:arms=0.5"]  # derived settings (seed 0) beside self (no seed)
    assert 'id="tab-across"' in html and "arms scaled" in html[html.index('id="panel-across"'):]
    latex = (out / "tables.tex").read_text()
    assert latex.count("\\begin{table}") == 3 and latex.count("Animate-X$^\\dagger$") == 1
    markdown = (out / "board.md").read_text()
    assert "Animate-X (as reported)" in markdown
    assert all(f"### a2bench ({setting}) —" in markdown for setting in runs)
    frame = pd.read_csv(io.StringIO((out / "values.csv").read_text()))
    assert set(frame.setting) == {"self", "rescaled", "track:arms=0.5"}
    assert not (runs["self"] / "leaderboard.html").exists()  # explicit outputs only


def test_one_run_is_re_exported_in_place(runs: dict[str, Path]) -> None:
    result = run_cli("report", runs["self"])
    assert result.returncode == 0, result.stderr
    assert json.loads((runs["self"] / "results.json").read_text())["suite"]["setting"] == "self"
    assert "| beta | 2/2 | **24.50**" in (runs["self"] / "leaderboard.md").read_text()
    assert "<code>" not in (runs["self"] / "leaderboard.html").read_text()  # nothing skipped here


def test_bad_inputs_fail_with_one_line(runs: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    other = make_run(tmp_path / "other", VALUES, fingerprint="b2" * 32, suite="a2bench")
    html = ["--html", tmp_path / "page.html"]
    cases = [
        (["report", tmp_path / "nowhere"], ["nowhere: run directory does not exist"]),
        (["report", tmp_path / "file"], ["file: run directory is not a folder"]),
        (["report", tmp_path], ["results.json: no results file"]),
        (["report", runs["self"], other, *html], ["differ (suite fingerprint: a1a1a1a1a1a1… vs b2b2b2b2b2b2…)"]),
        (["report", runs["self"], runs["rescaled"]], ["2 run directories but no output file", "--html FILE"]),
        (["report", runs["self"], "--reference", "table3"], ["unknown reference table 'table3'",
                                                             "table1_a2bench_rescaled"]),
        (["report", runs["self"], "--reference", "table7_tiktok", *html], ["is for suite tiktok, setting self"]),
        (["report", runs["self"], "--html", tmp_path], ["is a folder, not a file", "--html"]),
        (["report", runs["self"], "--latex", tmp_path / "file" / "t.tex"], ["is a file", "--latex"]),
    ]
    for args, fragments in cases:
        assert_clean_failure(run_cli(*args), *fragments)
    assert not (tmp_path / "page.html").exists()


def test_a_read_only_output_folder_is_refused_before_any_work(runs: dict[str, Path], tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    real = tempfile.mkstemp

    def mkstemp(*args: object, **kwargs: object) -> tuple[int, str]:  # what a read-only folder answers (root too)
        if Path(str(kwargs.get("dir"))) == locked:
            raise PermissionError(13, "Permission denied")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(sys, "argv", ["a2bench", "report", str(runs["self"]), "--csv", str(locked / "v.csv")])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "locked: folder is not writable (Permission denied) — make it writable or pass another --csv" in err
    assert not any(locked.iterdir())


def test_help_names_every_option() -> None:
    for command, options in (("report", ["--html", "--latex", "--markdown", "--csv", "--reference"]),
                             ("compare", ["--method", "--metrics", "--max-regression", "--junit"])):
        result = run_cli(command, "--help")
        assert result.returncode == 0 and all(option in result.stdout for option in options), result.stdout
