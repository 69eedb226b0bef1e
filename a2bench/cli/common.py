"""Options and consoles shared by the CLI modules."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from a2bench.reports.runs import Report

out = Console()
err = Console(stderr=True)

RootOption = Annotated[Path | None, typer.Option("--root", help="Data root (default: $A2BENCH_DATA or the "
                                                 "per-user data directory).")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]


def say(text: str, console: Console = out) -> None:
    """Print `text` as it is: no markup or highlighting (paths and names may hold brackets), and never re-wrapped,
    so a path or a command in it stays whole at any width and can be copied."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def show_report(report: Report | Mapping[str, Any]) -> None:
    """The leaderboards, fitted to the output's width, then each skipped metric's reason once on stderr (as warnings
    are), as one whole line: what demo, evaluate, run and report print."""
    from a2bench.reports.terminal import terminal_report

    shown = terminal_report(report, out.width)
    for table in shown.tables:
        out.print(table)
    for line in shown.skipped:
        say(line, err)


def name_table(*headers: str, title: str | None = None) -> Table:
    """A table readable at 80 columns: the first column (the name a user types next) is never wrapped, the others
    wrap at spaces, and long words (paths, hashes) fold onto the next line instead of being cut with an ellipsis."""
    table = Table(title=title)
    table.add_column(headers[0], no_wrap=True)
    for header in headers[1:]:
        table.add_column(header, overflow="fold")
    return table


def print_record(title: str, details: Iterable[str] = ()) -> None:
    """One item of a listing: its title line, then each detail indented and wrapped at spaces to the console width
    (long words such as paths are broken, never cut): readable at 80 columns, in a terminal or through a pipe."""
    say(title)
    for detail in details:
        say(textwrap.fill(detail, width=max(out.width, 40), initial_indent="  ", subsequent_indent="  ",
                          break_on_hyphens=False))
