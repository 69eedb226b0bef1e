"""Self-contained HTML leaderboard: jinja2 with autoescaping, inline CSS, no external resources."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from a2bench.reports.table import build_leaderboard


def _environment() -> Environment:
    return Environment(loader=PackageLoader("a2bench.reports", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True))


def render_html(results: dict[str, Any]) -> str:
    """The leaderboard page for a results document."""
    board = build_leaderboard(results)
    template = _environment().get_template("leaderboard.html.j2")
    return template.render(board=board, provenance=results.get("provenance", {}),
                           per_case={name: entry.get("per_case", {}) for name, entry in results["methods"].items()})
