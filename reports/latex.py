"""LaTeX tables for papers (pandas Styler, booktabs): a table per setting, ↑/↓ in the headers, best bold and
second underlined among the rows a2bench computed, the paper's rows marked † as reported, and a caption naming
protocol, version, digest and suite fingerprint. Needs `\\usepackage{booktabs}` in the document."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from a2bench.reports import escape
from a2bench.reports.runs import Report, single_report
from a2bench.reports.table import Cell, Column, Leaderboard, build_leaderboard

MISSING = "--"
REPORTED_MARK = r"$^\dagger$"


def _heading(column: Column) -> str:
    return escape.latex(column.label) + (r" $\uparrow$" if column.higher_is_better else r" $\downarrow$")


def _value(cell: Cell) -> str:
    if cell.value is None:
        return MISSING
    text = cell.text.replace("e", "E")  # 1.02E-04, as the paper prints L1
    return rf"\textbf{{{text}}}" if cell.best else rf"\underline{{{text}}}" if cell.second else text


def _caption(board: Leaderboard, suite: Mapping[str, Any] | None, uncalibrated: bool) -> str:
    protocol = board.protocol
    parts = []
    if uncalibrated:
        parts.append("UNCALIBRATED (random-initialised weights; not comparable with published numbers).")
    where = f"{suite['id']}, {board.setting} setting" if suite else "custom videos"
    digest = str(protocol.get("digest"))[:12]
    parts.append(f"{where}; protocol {protocol['id']} v{protocol['version']} (digest {digest})")
    if suite and suite.get("fingerprint"):
        parts[-1] += f"; suite fingerprint {suite['fingerprint'][:16]}"
    parts[-1] += "."
    parts.append("Bold: best; underlined: second best among the rows a2bench computed.")
    if board.reference:
        parts.append(f"† as reported in {board.reference.name}; not computed by a2bench.")
    return " ".join(escape.latex(part).replace("†", REPORTED_MARK) for part in parts)


def _label(board: Leaderboard, suite: Mapping[str, Any] | None) -> str:
    name = f"{(suite or {}).get('id', 'custom')}-{board.setting}"
    return "tab:a2bench-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def board_latex(board: Leaderboard, suite: Mapping[str, Any] | None, uncalibrated: bool = False) -> str:
    """One `table` environment; columns no row has a value for (skipped metrics) are left out, in a comment."""
    columns = board.valued_columns()
    rows = [[escape.latex(row.name) + REPORTED_MARK, *(_value(row.cells[i]) for i in columns)]
            for row in board.reported]
    rows += [[escape.latex(row.name), *(_value(row.cells[i]) for i in columns)] for row in board.rows]
    frame = pd.DataFrame(rows, columns=["Method", *(_heading(board.columns[i]) for i in columns)])
    styler = frame.style.hide(axis="index")
    text = styler.to_latex(hrules=True, column_format="l" + "r" * len(columns), position_float="centering",
                           caption=_caption(board, suite, uncalibrated), label=_label(board, suite))
    if board.reported and board.rows:
        text = _rule_after(text, len(board.reported))
    left_out = [f"% {' '.join(skip.label.split())} skipped: {' '.join(skip.reason.split())}" for skip in board.skipped]
    return "\n".join(["% a2bench report; needs \\usepackage{booktabs}", *left_out, text])


def _rule_after(text: str, body_rows: int) -> str:
    """A \\midrule between the reported rows (first) and the computed ones."""
    lines = text.splitlines()
    start = lines.index(r"\midrule") + 1
    lines.insert(start + body_rows, r"\midrule")
    return "\n".join(lines) + "\n"


def render_latex(report: Report | Mapping[str, Any]) -> str:
    """The LaTeX tables of a report (or of one results document), one per setting."""
    if not isinstance(report, Report):
        report = single_report(dict(report))
    return "\n".join(board_latex(build_leaderboard(section), report.suite, report.uncalibrated)
                     for section in report.sections)
