"""The leaderboard as a rich table for the terminal."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from a2bench.reports.table import build_leaderboard


def terminal_table(results: dict[str, Any]) -> Table:
    """A rich Table: one row per method, best values in bold green, notes as the caption."""
    board = build_leaderboard(results)
    table = Table(title=board.title, caption="\n".join(board.notes), caption_justify="left")
    table.add_column("Method")
    for column in board.columns:
        table.add_column(column.label, justify="right")
    for name, cells in board.rows:
        table.add_row(name, *[(f"[bold green]{c.text}[/]" if c.best else c.text)
                              + (f"\n[dim]{c.interval}[/]" if c.interval else "") for c in cells])
    return table
