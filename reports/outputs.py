"""Write a report's files (HTML, LaTeX, Markdown, CSV), each atomically."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from a2bench.atomic import atomic_write
from a2bench.reports.runs import Report

FORMATS = ("html", "latex", "markdown", "csv")


def _renderers(previews: bool) -> dict[str, Callable[[Report], str]]:
    from a2bench.reports.csv_table import render_csv
    from a2bench.reports.html import render_html
    from a2bench.reports.latex import render_latex
    from a2bench.reports.markdown import render_markdown

    return {"html": lambda report: render_html(report, previews=previews), "latex": render_latex,
            "markdown": render_markdown, "csv": render_csv}


def write_outputs(report: Report, targets: Mapping[str, Path], previews: bool = True) -> dict[str, Path]:
    """Render each requested format ({format: path}) and write it; the paths written, by format."""
    renderers = _renderers(previews)
    return {kind: atomic_write(path, renderers[kind](report)) for kind, path in targets.items()}
