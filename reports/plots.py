"""Plots for the HTML page, drawn with matplotlib (Agg) and inlined as SVG: text stays text (no font files), no
XML prolog, no namespace URLs, ids salted per plot so several plots share a page without clashing."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

WIDTH_IN = 6.4
HEIGHT_IN = 3.2


@dataclass(frozen=True)
class Point:
    """A value with its optional 95% interval."""

    x: float
    y: float
    low: float | None = None
    high: float | None = None


def _figure(width: float = WIDTH_IN, height: float = HEIGHT_IN, columns: int = 1) -> tuple[Any, Any]:
    """A figure and its (1, columns) axes on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(1, columns, figsize=(width, height), squeeze=False, layout="constrained")


def to_svg(figure: Any, salt: str) -> str:
    """The figure as an inline <svg> element (closed afterwards)."""
    import matplotlib
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        figure.savefig(buffer, format="svg", bbox_inches="tight",
                       metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    plt.close(figure)
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r'\s(xmlns(:xlink)?|version)="[^"]*"', "", text, count=3)
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.DOTALL)
    return text.replace("xlink:href=", "href=").replace("<svg", '<svg class="plot" role="img"', 1)


def scatter_svg(points: Sequence[tuple[float, float]], x_label: str, y_label: str, title: str, salt: str) -> str:
    """Per-case values of two methods against each other, with the diagonal (points above it: y is higher)."""
    import matplotlib

    with matplotlib.rc_context({"text.parse_math": False}):
        figure, axes = _figure(4.2, 4.0)
        ax = axes[0][0]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        low, high = min(xs + ys), max(xs + ys)
        pad = (high - low) * 0.05 or 1.0
        ax.plot([low - pad, high + pad], [low - pad, high + pad], color="#999999", linewidth=0.8, zorder=1)
        ax.scatter(xs, ys, s=14, color="#2f6db5", alpha=0.8, zorder=2)
        ax.set_xlim(low - pad, high + pad)
        ax.set_ylim(low - pad, high + pad)
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.set_title(title, fontsize=10)
        ax.grid(True, linewidth=0.3)
        return to_svg(figure, salt)


def lines_svg(panels: Mapping[str, Mapping[str, Sequence[Point]]], x_label: str, y_label: str, salt: str,
              categories: Sequence[str] | None = None) -> str:
    """One panel per key, one line per method (error bars: 95% intervals). With `categories`, x values are
    their indices and are labelled with them."""
    import matplotlib

    with matplotlib.rc_context({"text.parse_math": False}):
        figure, axes = _figure(max(WIDTH_IN, 3.2 * len(panels)), HEIGHT_IN, len(panels))
        colors = {m: f"C{i % 10}" for i, m in enumerate(dict.fromkeys(m for s in panels.values() for m in s))}
        for ax, (title, series) in zip(axes[0], panels.items(), strict=True):
            for method, points in series.items():
                xs = [p.x for p in points]
                ys = [p.y for p in points]
                errors = [[max(p.y - p.low, 0) if p.low is not None else 0 for p in points],
                          [max(p.high - p.y, 0) if p.high is not None else 0 for p in points]]
                ax.errorbar(xs, ys, yerr=errors, marker="o", markersize=3.5, linewidth=1.2, capsize=2, label=method,
                            color=colors[method])
            ax.set_title(title, fontsize=10)
            ax.set_xlabel(x_label)
            ax.grid(True, linewidth=0.3)
            if categories is not None:
                ax.set_xticks(range(len(categories)), categories, rotation=30, ha="right", fontsize=7)
        axes[0][0].set_ylabel(y_label)
        legend = {}
        for ax in axes[0]:
            for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
                legend.setdefault(label, handle)
        figure.legend(list(legend.values()), list(legend), loc="outside right upper", fontsize=8, frameon=False)
        return to_svg(figure, salt)
