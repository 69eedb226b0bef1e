"""Markdown leaderboard table."""

from __future__ import annotations

from typing import Any

from a2bench.reports.table import build_leaderboard


def render_markdown(results: dict[str, Any]) -> str:
    """A GitHub-flavoured Markdown table, best values in bold, notes below."""
    board = build_leaderboard(results)
    header = "| Method | " + " | ".join(c.label for c in board.columns) + " |"
    rule = "|---|" + "|".join("---:" for _ in board.columns) + "|"
    lines = [f"### {board.title}", "", header, rule]
    for name, cells in board.rows:
        texts = [f"**{c.text}**" if c.best else c.text for c in cells]
        lines.append(f"| {name} | " + " | ".join(texts) + " |")
    lines.append("")
    lines.extend(f"_{note}_  " for note in board.notes)
    return "\n".join(lines) + "\n"
