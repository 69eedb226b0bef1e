"""The leaderboard of one setting, as every report format renders it: columns with their direction, values
formatted alike per column, best and second best marked among the rows a2bench computed, intervals, case
counts, missing cases, skipped metrics with their reason, and the paper's rows (marked) when asked for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from a2bench.reports.reference import ReferenceTable
from a2bench.reports.runs import Section, single_report

SCIENTIFIC_BELOW = 1e-2
MISSING = "—"


def format_value(value: float | None, scientific: bool | None = None, decimals: int | None = None) -> str:
    """Paper-style text: E-notation for tiny values, else two decimals from 10 up and three below. A column passes
    its own `scientific` and `decimals` so that all its values are written alike."""
    if value is None:
        return MISSING
    if scientific is None:
        scientific = 0 < abs(value) < SCIENTIFIC_BELOW
    if scientific:
        return f"{value:.2e}"
    if decimals is None:
        decimals = 2 if abs(value) >= 10 else 3
    return f"{value:.{decimals}f}"


@dataclass(frozen=True)
class Column:
    """A metric column: its key, label, direction, definition and how its values are written."""

    key: str
    label: str
    higher_is_better: bool
    description: str = ""
    scientific: bool = False
    set_metric: bool = False
    decimals: int | None = None

    @property
    def arrow(self) -> str:
        return "↑" if self.higher_is_better else "↓"

    @property
    def heading(self) -> str:
        return f"{self.label} {self.arrow}"

    @property
    def direction(self) -> str:
        return "higher is better" if self.higher_is_better else "lower is better"

    def text(self, value: float | None) -> str:
        return format_value(value, self.scientific, self.decimals)


@dataclass(frozen=True)
class Cell:
    """One metric value of one row: value and text, interval, case count, rank (1 best, 2 second, 0 else)."""

    value: float | None
    text: str
    interval: str = ""
    ci95: tuple[float, float] | None = None
    n: int | None = None
    rank: int = 0
    skipped: str | None = None

    @property
    def best(self) -> bool:
        return self.rank == 1

    @property
    def second(self) -> bool:
        return self.rank == 2


@dataclass(frozen=True)
class Row:
    """A method's row; `reported` rows are the paper's numbers, not a2bench's."""

    name: str
    cells: list[Cell]
    reported: bool = False
    scored: int = 0
    missing: list[str] = field(default_factory=list)
    cost: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Skip:
    """A metric that could not run for some row: its key, label and reason (with the command that fixes it)."""

    key: str
    label: str
    reason: str


@dataclass(frozen=True)
class Leaderboard:
    """What every report format renders for one setting."""

    title: str
    setting: str
    columns: list[Column]
    rows: list[Row]
    reported: list[Row]
    notes: list[str]
    skipped: list[Skip]
    cases: int
    protocol: Mapping[str, Any]
    reference: ReferenceTable | None = None

    @property
    def caveat(self) -> str | None:
        """What a reader must know about the reference rows (None without them)."""
        return self.reference.caveat(self.protocol["id"]) if self.reference else None

    @property
    def has_cost(self) -> bool:
        return any(row.cost for row in self.rows)

    def valued_columns(self) -> list[int]:
        """Indices of the columns some row has a value for (a metric skipped for every row has none)."""
        return [index for index, _ in enumerate(self.columns)
                if any(row.cells[index].value is not None for row in [*self.rows, *self.reported])]


def ranks(values: Sequence[float | None], higher_is_better: bool) -> list[int]:
    """1 for the best value, 2 for the second-best distinct value, 0 otherwise: best needs two values to compare,
    second needs three (with two rows, 'second' is just 'the other one'). Ties share a rank."""
    present = sorted({v for v in values if v is not None}, reverse=higher_is_better)
    count = sum(v is not None for v in values)
    marks = {}
    if count >= 2 and present:
        marks[present[0]] = 1
        if count >= 3 and len(present) >= 2:
            marks[present[1]] = 2
    return [marks.get(v, 0) if v is not None else 0 for v in values]


def _columns(section: Section, reference: ReferenceTable | None) -> list[Column]:
    columns = []
    for key in section.metric_names():
        info = section.metric_info.get(key) or (reference.metric_info.get(key) if reference else None) or {}
        values = [entry["metrics"].get(key, {}).get("value") for entry in section.methods.values()]
        if reference:
            values += [row.get(key) for row in reference.rows.values()]
        present = [abs(v) for v in values if v]
        largest = max(present, default=0.0)
        columns.append(Column(key, info.get("label", key), bool(info.get("higher_is_better", True)),
                              info.get("description", ""), bool(present) and largest < SCIENTIFIC_BELOW,
                              "reduction" in info and info["reduction"] is None, 2 if largest >= 10 else 3))
    return columns


def _cell(column: Column, metric: Mapping[str, Any], rank: int) -> Cell:
    value, ci = metric.get("value"), metric.get("ci95")
    interval = f"[{column.text(ci[0])}, {column.text(ci[1])}]" if ci else ""
    return Cell(value, column.text(value), interval, tuple(ci) if ci else None, metric.get("n"), rank,
                metric.get("skipped"))


def build_leaderboard(section: Section | Mapping[str, Any]) -> Leaderboard:
    """The leaderboard of a section (or of a single results document), with its reference rows if any."""
    if not isinstance(section, Section):
        section = single_report(dict(section)).sections[0]
    reference = section.reference
    columns = _columns(section, reference)
    names = list(section.methods)
    metrics = {name: section.methods[name].get("metrics", {}) for name in names}
    marks = {c.key: ranks([metrics[n].get(c.key, {}).get("value") for n in names], c.higher_is_better)
             for c in columns}
    total = len(section.case_ids())
    rows = []
    for index, name in enumerate(names):
        entry = section.methods[name]
        cells = [_cell(c, metrics[name].get(c.key, {}), marks[c.key][index]) for c in columns]
        rows.append(Row(name, cells, scored=len(entry.get("per_case", {})), missing=section.missing_cases(name),
                        cost=entry.get("cost")))
    reported = [Row(name, [_cell(c, {"value": values.get(c.key)}, 0) for c in columns], reported=True)
                for name, values in (reference.rows.items() if reference else [])]
    skipped = sorted({Skip(c.key, c.label, metrics[n][c.key]["skipped"]) for c in columns for n in names
                      if metrics[n].get(c.key, {}).get("skipped")}, key=lambda skip: (skip.label, skip.reason))
    return Leaderboard(section_title(section), section.setting, columns, rows, reported,
                       _notes(section, rows, total), skipped, total, section.runs[0].results["protocol"],
                       reference)


def section_title(section: Section) -> str:
    first = section.runs[0].results
    suite = first.get("suite") or {}
    protocol = first["protocol"]
    where = f"{suite['id']} ({section.setting})" if suite.get("id") else "custom videos"
    return f"{where} — protocol {protocol['id']} v{protocol['version']}"


def _notes(section: Section, rows: list[Row], total: int) -> list[str]:
    """What a reader of the table must know besides its skipped metrics (each format shows those its own way)."""
    first = section.runs[0].results
    notes = []
    fingerprint = (first.get("suite") or {}).get("fingerprint")
    if fingerprint:
        notes.append(f"suite fingerprint {fingerprint[:16]}…")
    if any(run.uncalibrated for run in section.runs):
        notes.append("UNCALIBRATED: learned metrics used random-initialised weights; not comparable to papers.")
    for row in rows:
        if row.missing:
            shown = ", ".join(row.missing[:10]) + (" …" if len(row.missing) > 10 else "")
            notes.append(f"{row.name}: {len(row.missing)} of {total} cases not scored ({shown})")
    notes.append("Values are reduced as each metric declares (means over all frames); brackets give 95% bootstrap "
                 "intervals over cases.")
    return notes
