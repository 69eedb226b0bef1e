"""Markdown leaderboard (GitHub-flavoured): a table per setting with intervals, best bold, second underlined."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from a2bench.reports import escape
from a2bench.reports.cost import cost_cells
from a2bench.reports.runs import Report, single_report
from a2bench.reports.table import Cell, Leaderboard, Row, build_leaderboard


def _value(cell: Cell) -> str:
    text = f"**{cell.text}**" if cell.best else f"<ins>{cell.text}</ins>" if cell.second else cell.text
    return f"{text} {cell.interval}" if cell.interval else text


def _row(row: Row, board: Leaderboard) -> str:
    name = escape.markdown(row.name) + (" (as reported)" if row.reported else "")
    cases = "" if row.reported else f"{row.scored}/{board.cases}"
    return "| " + " | ".join([name, cases, *(_value(cell) for cell in row.cells)]) + " |"


def _board(board: Leaderboard) -> list[str]:
    header = "| Method | Cases | " + " | ".join(escape.markdown(c.heading) for c in board.columns) + " |"
    rule = "|---|---:|" + "|".join("---:" for _ in board.columns) + "|"
    lines = [f"### {escape.markdown(board.title)}", "", header, rule]
    lines += [_row(row, board) for row in board.rows]
    lines += [_row(row, board) for row in board.reported]
    lines.append("")
    if board.has_cost:
        lines += ["| Method | Videos | Seconds per video | Peak GPU memory |", "|---|---:|---:|---:|"]
        lines += ["| " + " | ".join([escape.markdown(row.name), *cost_cells(row.cost)]) + " |"
                  for row in board.rows if row.cost]
        lines.append("")
    notes = [*board.notes, *(f"{skip.label} skipped: {skip.reason}" for skip in board.skipped)]
    lines += [f"_{escape.markdown(note)}_  " for note in notes]
    if board.caveat:
        lines.append(f"_{escape.markdown(board.caveat)}_  ")
    lines.append("")
    return lines


def render_markdown(report: Report | Mapping[str, Any]) -> str:
    """The Markdown page of a report (or of one results document): one table per setting, notes below each."""
    if not isinstance(report, Report):
        report = single_report(dict(report))
    lines = []
    if report.uncalibrated:
        lines += ["**UNCALIBRATED**: learned metrics ran on random-initialised weights; these numbers test the "
                  "pipeline only and cannot be compared with published results.", ""]
    for section in report.sections:
        lines += _board(build_leaderboard(section))
    lines.append("Bold: best; underlined: second best (among the rows a2bench computed; ties share the mark). "
                 "Cases: cases scored of the setting's cases.")
    return "\n".join(lines) + "\n"
