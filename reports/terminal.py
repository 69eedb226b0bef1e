"""The leaderboard as rich tables for the terminal (names are plain text, never rich markup), fitted to a width:
at 80 columns or through a pipe no value is cut short. Metrics skipped for every row get no column; their reasons
are whole `skipped NAME: …` lines for the caller to print unwrapped, so a fetch command in one stays whole."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from a2bench.reports.compare import Comparison
from a2bench.reports.runs import Report, single_report
from a2bench.reports.table import Cell, Leaderboard, build_leaderboard, format_value

METHOD_NARROWEST = 12  # method names longer than this may fold onto further lines


@dataclass(frozen=True)
class Span:
    """How wide a column's content is: on its widest line, and at its narrowest without breaking a value or word."""

    narrowest: int
    widest: int


@dataclass(frozen=True)
class TerminalReport:
    """What the terminal shows of a report: the tables, then the skipped metrics' lines (each printed whole)."""

    tables: list[Table]
    skipped: list[str]


def _cell(cell: Cell) -> Text:
    text = Text(cell.text, style="bold green" if cell.best else "underline" if cell.second else "")
    if cell.interval:
        text.append("\n" + cell.interval, style="dim")
    return text


def _longest(texts: list[str], words: bool) -> int:
    return max((cell_len(part) for text in texts for part in (text.split() if words else text.splitlines())),
               default=0)


def _method_span(board: Leaderboard) -> Span:
    names = ["Method", *(row.name for row in board.rows), *(f"{row.name} (as reported)" for row in board.reported)]
    widest = _longest(names, words=False)
    return Span(min(widest, METHOD_NARROWEST), widest)


def _metric_span(board: Leaderboard, index: int) -> Span:
    """A value is never broken (nor a word of the heading or interval); the interval may wrap at its space."""
    cells = [row.cells[index] for row in [*board.rows, *board.reported]]
    heading, values, intervals = [board.columns[index].heading], [c.text for c in cells], [c.interval for c in cells]
    return Span(max(_longest(heading, True), _longest(values, False), _longest(intervals, True)),
                _longest([*heading, *values, *intervals], words=False))


def _frame(columns: int) -> int:
    """Cells taken by the table's vertical rules and the cells' padding (one each side)."""
    return 3 * columns + 1


def _groups(method: Span, spans: list[Span], width: int) -> list[list[int]]:
    """Metric columns in order, as many per table as fit `width` at their narrowest beside the method column."""
    groups: list[list[int]] = [[]]
    for index, span in enumerate(spans):
        group = groups[-1]
        if group and method.narrowest + sum(spans[i].narrowest for i in group) + span.narrowest \
                + _frame(len(group) + 2) > width:
            groups.append(group := [])
        group.append(index)
    return groups


def _fit(spans: list[Span], room: int) -> list[int]:
    """Each column as wide as its widest line, narrowed one cell at a time (the widest first) until the columns fit
    `room`, never below their narrowest."""
    widths = [span.widest for span in spans]
    while sum(widths) > room:
        slack = [i for i, span in enumerate(spans) if widths[i] > span.narrowest]
        if not slack:
            break
        widths[max(slack, key=lambda i: widths[i])] -= 1
    return widths


def _table(board: Leaderboard, columns: list[int], widths: list[int], title: str, caption: str | None) -> Table:
    table = Table(title=Text(title), caption=Text(caption) if caption else None, caption_justify="left")
    table.add_column("Method", width=widths[0], overflow="fold")
    for index, width in zip(columns, widths[1:], strict=True):
        table.add_column(Text(board.columns[index].heading), justify="right", width=width, overflow="fold")
    names = [(row, Text(row.name)) for row in board.rows]
    names += [(row, Text(f"{row.name} (as reported)", style="italic")) for row in board.reported]
    for row, name in names:
        table.add_row(name, *(_cell(row.cells[index]) for index in columns))
    return table


def board_tables(board: Leaderboard, width: int) -> list[Table]:
    """One setting's tables within `width` (several when its columns do not fit one): a row per method, best bold
    green, second underlined, values and intervals never cut (they wrap, long method names fold), the notes as the
    last table's caption. Metrics skipped for every row are left out (see skip_lines)."""
    shown = board.valued_columns()
    method = _method_span(board)
    spans = [_metric_span(board, index) for index in shown]
    groups = _groups(method, spans, width)
    caption = "\n".join([*board.notes, *([board.caveat] if board.caveat else [])])
    tables = []
    for number, group in enumerate(groups, 1):
        widths = _fit([method, *(spans[i] for i in group)], width - _frame(len(group) + 1))
        title = board.title if len(groups) == 1 else f"{board.title} ({number}/{len(groups)})"
        tables.append(_table(board, [shown[i] for i in group], widths, title,
                             caption if number == len(groups) else None))
    return tables


def skip_lines(board: Leaderboard) -> list[str]:
    """`skipped NAME: reason` for each metric and reason of the board, to be printed whole (never re-wrapped)."""
    return [f"skipped {skip.key}: {skip.reason}" for skip in board.skipped]


def terminal_report(report: Report | Mapping[str, Any], width: int) -> TerminalReport:
    """The tables of each setting of a report (or of one results document) within `width`, and every skipped
    metric's line once, however many settings or methods skipped it."""
    if not isinstance(report, Report):
        report = single_report(dict(report))
    boards = [build_leaderboard(section) for section in report.sections]
    return TerminalReport([table for board in boards for table in board_tables(board, width)],
                          list(dict.fromkeys(line for board in boards for line in skip_lines(board))))


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
