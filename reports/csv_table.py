"""CSV export (pandas): one row per setting, method and metric, with interval, case count, skip reason and whether
the run behind it used random-initialised weights; values at full precision (the shortest text that reads back
as the same float)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from a2bench.reports import escape
from a2bench.reports.runs import Report, single_report
from a2bench.reports.table import build_leaderboard

COLUMNS = ["suite", "setting", "method", "source", "metric", "label", "higher_is_better", "value", "ci95_low",
           "ci95_high", "n", "skipped", "uncalibrated"]


def report_frame(report: Report) -> pd.DataFrame:
    """The long-format table of every value in the report (the paper's rows with source `reported`)."""
    suite = (report.suite or {}).get("id", "")
    records = []
    for section in report.sections:
        board = build_leaderboard(section)
        for row in [*board.rows, *board.reported]:
            uncalibrated = not row.reported and section.method_runs[row.name].uncalibrated
            for column, cell in zip(board.columns, row.cells, strict=True):
                low, high = cell.ci95 or (None, None)
                records.append([suite, board.setting, row.name, "reported" if row.reported else "a2bench",
                                column.key, column.label, column.higher_is_better, cell.value, low, high, cell.n,
                                cell.skipped or "", uncalibrated])
    frame = pd.DataFrame(records, columns=COLUMNS)
    frame["n"] = frame["n"].astype("Int64")
    for name in ("suite", "setting", "method", "metric", "label", "skipped"):
        frame[name] = frame[name].map(escape.spreadsheet)
    return frame


def render_csv(report: Report | Mapping[str, Any]) -> str:
    """CSV text of a report (or of one results document); every value as Python's repr writes it, so parsing it
    gives back the very float that was computed."""
    if not isinstance(report, Report):
        report = single_report(dict(report))
    return report_frame(report).to_csv(index=False)
