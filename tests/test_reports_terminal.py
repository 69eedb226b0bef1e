"""The terminal leaderboard at 80 and 60 columns (a pipe, a CI log): every value whole, skipped metrics' columns
left out, their reasons once as whole lines, columns that do not fit moved to a further table."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from a2bench.reports.runs import Run, merge_runs, single_report
from a2bench.reports.table import build_leaderboard
from a2bench.reports.terminal import terminal_report
from tests.report_documents import FID_REASON, document, many_methods_document, metric

LONG_NAME = "a-method-name-far-longer-than-a-column"


def printed(results: dict, width: int) -> tuple[str, list[str]]:
    """What a console of `width` columns that is not a terminal shows of the tables, and the skip lines."""
    console = Console(width=width, file=io.StringIO(), force_terminal=False)
    shown = terminal_report(results, width)
    for table in shown.tables:
        console.print(table)
    return console.file.getvalue(), shown.skipped  # type: ignore[attr-defined]


def assert_whole(results: dict, text: str, width: int) -> None:
    """Every value as the board writes it, and each half of every interval, is on one line; no cell is cut."""
    board = build_leaderboard(single_report(results).sections[0])
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    assert not [line for line in lines if line[:1] in "┃│" and "…" in line], text
    for row in board.rows:
        for cell in row.cells:
            if cell.value is not None:
                assert any(cell.text in line for line in lines), (cell.text, text)
                assert all(any(part in line for line in lines) for part in cell.interval.split()), (cell, text)


@pytest.mark.parametrize("width", [80, 60])
def test_values_are_whole_and_skipped_columns_left_out(width: int) -> None:
    results = document({"gamma": LONG_NAME})
    text, skipped = printed(results, width)
    assert_whole(results, text, width)
    assert "FID" not in text and "skipped" not in text  # skipped for every method: no column, no caption line
    assert skipped == [f"skipped fid: {FID_REASON}"]  # once, though three methods skipped it
    assert "a2bench weights fetch fid-inception" in skipped[0]
    assert LONG_NAME in "".join(line.split("│")[1].strip() for line in text.splitlines() if line.startswith("│"))


@pytest.mark.parametrize("width", [80, 60])
def test_columns_that_do_not_fit_go_to_a_further_table(width: int) -> None:
    cases = {f"c{i}": {"tags": {}, "files": {}} for i in range(3)}
    results = many_methods_document(cases, {name: {} for name in ("alpha", "beta", LONG_NAME)})
    for index, key in enumerate(("fvd", "fid_vid", "clip_identity", "clip_temporal")):
        results["metric_info"][key] = {"label": key.upper(), "higher_is_better": False, "reduction": None}
        for number, entry in enumerate(results["methods"].values()):
            entry["metrics"][key] = metric([1234.5678 + index + number, 1000.25])
    text, skipped = printed(results, width)
    assert_whole(results, text, width)
    assert text.count("synth-mini (self)") >= 2 and not skipped
    assert all(heading in text for heading in ("PSNR*", "SSIM", "L1", "LPIPS", "FID", "FVD", "CLIP_TEMPORAL"))


def test_a_reason_is_listed_once_for_the_report_and_a_partial_skip_keeps_its_column() -> None:
    rescaled = document(setting="rescaled")
    rescaled["methods"]["alpha"]["metrics"]["psnr"] = {"value": None, "ci95": None, "n": 0, "skipped": "no frames"}
    report = merge_runs([Run(document(), Path("self")), Run(rescaled, Path("rescaled"))])
    shown = terminal_report(report, 80)
    assert shown.skipped == [f"skipped fid: {FID_REASON}", "skipped psnr: no frames"]  # FID: both settings, once
    console = Console(width=80, file=io.StringIO(), force_terminal=False)
    console.print(shown.tables[1])
    alpha = next(line for line in console.file.getvalue().splitlines() if "alpha" in line)  # type: ignore[attr-defined]
    assert "PSNR*" in console.file.getvalue() and alpha.split("│")[2].strip() == "—"  # type: ignore[attr-defined]
