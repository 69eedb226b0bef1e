"""Leaderboard rows from a results document: formatted values, intervals and the best per column."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCIENTIFIC_BELOW = 1e-2


def format_value(value: float | None) -> str:
    """Compact, paper-style formatting: 1.02e-04 for tiny values, else 2–3 decimals."""
    if value is None:
        return "—"
    magnitude = abs(value)
    if 0 < magnitude < SCIENTIFIC_BELOW:
        return f"{value:.2e}"
    if magnitude >= 10:
        return f"{value:.2f}"
    return f"{value:.3f}"


@dataclass(frozen=True)
class Cell:
    """One metric value of one method."""

    text: str
    interval: str
    best: bool


@dataclass(frozen=True)
class Column:
    """A metric column: key, label with its direction arrow."""

    key: str
    label: str


@dataclass(frozen=True)
class Leaderboard:
    """What every report format renders."""

    title: str
    columns: list[Column]
    rows: list[tuple[str, list[Cell]]]
    notes: list[str]


def _best(values: list[float | None], higher_is_better: bool) -> float | None:
    present = [v for v in values if v is not None]
    if len(present) < 2:
        return None
    return max(present) if higher_is_better else min(present)


def build_leaderboard(results: dict[str, Any]) -> Leaderboard:
    """Columns per metric (arrow shows the better direction), rows per method, best values flagged."""
    info: dict[str, dict[str, Any]] = results.get("metric_info", {})
    methods: dict[str, Any] = results["methods"]
    metric_keys = list(info) or sorted({m for entry in methods.values() for m in entry["metrics"]})
    columns = []
    best = {}
    for key in metric_keys:
        higher = info.get(key, {}).get("higher_is_better", True)
        columns.append(Column(key, f"{info.get(key, {}).get('label', key)} {'↑' if higher else '↓'}"))
        best[key] = _best([entry["metrics"].get(key, {}).get("value") for entry in methods.values()], higher)
    rows = []
    for name, entry in methods.items():
        cells = []
        for key in metric_keys:
            metric = entry["metrics"].get(key, {})
            value, ci = metric.get("value"), metric.get("ci95")
            interval = f"[{format_value(ci[0])}, {format_value(ci[1])}]" if ci else ""
            cells.append(Cell(format_value(value), interval, value is not None and value == best[key]))
        rows.append((name, cells))
    protocol = results["protocol"]
    suite = results.get("suite") or {}
    title = f"{suite.get('id', 'custom videos')} — protocol {protocol['id']} v{protocol['version']}"
    notes = []
    if suite.get("fingerprint"):
        notes.append(f"suite fingerprint {suite['fingerprint'][:16]}…")
    provenance = results.get("provenance", {})
    if provenance.get("uncalibrated"):
        notes.append("UNCALIBRATED: learned metrics used random-initialised weights; not comparable to papers.")
    skipped = {(name, entry.get("skipped")) for method in methods.values()
               for name, entry in method["metrics"].items() if entry.get("skipped")}
    notes.extend(f"{name} skipped: {reason}" for name, reason in sorted(skipped))
    notes.append("Values are means over all frames; brackets give 95% bootstrap intervals over cases.")
    return Leaderboard(title, columns, rows, notes)
