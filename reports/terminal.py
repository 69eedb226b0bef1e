"""The leaderboard as rich tables for the terminal (names are plain text, never rich markup)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from a2bench.reports.compare import Comparison
from a2bench.reports.runs import Report, single_report
from a2bench.reports.table import Cell, Leaderboard, build_leaderboard, format_value


def _cell(cell: Cell) -> Text:
    text = Text(cell.text, style="bold green" if cell.best else "underline" if cell.second else "")
    if cell.interval:
        text.append("\n" + cell.interval, style="dim")
    return text


def board_table(board: Leaderboard) -> Table:
    """One setting's table: a row per method, best bold green, second underlined, notes as the caption."""
    notes = [*board.notes, *([board.caveat] if board.caveat else [])]
    table = Table(title=Text(board.title), caption=Text("\n".join(notes)), caption_justify="left")
    table.add_column("Method")
    for column in board.columns:
        table.add_column(Text(column.heading), justify="right")
    for row in board.rows:
        table.add_row(Text(row.name), *map(_cell, row.cells))
    for row in board.reported:
        table.add_row(Text(f"{row.name} (as reported)", style="italic"), *map(_cell, row.cells))
    return table


def terminal_tables(report: Report) -> list[Table]:
    """A table per setting of the report."""
    return [board_table(build_leaderboard(section)) for section in report.sections]


def terminal_table(results: Mapping[str, Any]) -> Table:
    """The table of one results document (one setting)."""
    return terminal_tables(single_report(dict(results)))[0]


def comparison_table(comparison: Comparison) -> Table:
    """The gate's summary: a row per metric with both values, the difference, its interval and the verdict."""
    title = (f"{comparison.candidate_method} (candidate) vs {comparison.baseline_method} (baseline) — "
             f"{'FAIL' if comparison.failed else 'PASS'}")
    notes = [f"not compared: {metric} — {reason}" for metric, reason in comparison.not_compared]
    if comparison.missing:
        notes.append(f"FAIL: {len(comparison.missing)} baseline case(s) not scored by the candidate: "
                     f"{', '.join(comparison.missing)}")
    if comparison.extra:
        notes.append(f"{len(comparison.extra)} candidate case(s) not in the baseline (ignored)")
    notes += [*comparison.notes, "Difference: candidate − baseline, 95% paired bootstrap interval over cases. "
              "REGRESSED: worse by more than the tolerance, with the interval on the worse side of 0."]
    table = Table(title=Text(title), caption=Text("\n".join(notes)), caption_justify="left", box=box.SIMPLE_HEAD)
    for heading in ("Metric", "Baseline", "Candidate", "Difference [95%]", "Cases", "Tolerance", "Verdict"):
        table.add_column(heading, justify="left" if heading in ("Metric", "Verdict") else "right", overflow="fold")
    for result in comparison.results:
        delta, interval = result.difference_texts()
        table.add_row(Text(f"{result.label} {'↑' if result.higher_is_better else '↓'}"), format_value(result.baseline),
                      format_value(result.candidate), f"{delta}\n{interval}", str(result.cases),
                      result.tolerance_text, Text(result.verdict, style="bold red" if result.regressed else ""))
    return table
