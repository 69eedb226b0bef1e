"""Per-case views of a setting: the breakdown by case tag (body structure, style, …) and the case-by-method
matrix of each case metric. Both read the per-case values the run stored; set metrics (FID, FID-VID, FVD)
have none, so they are not broken down."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from a2bench.reports.runs import Section
from a2bench.reports.table import Column, Leaderboard, ranks


@dataclass(frozen=True)
class Value:
    """A cell of a per-case view: the value (None: none), its text and rank among the row's methods."""

    value: float | None
    text: str
    rank: int = 0
    state: str = ""  # "missing" when the method has no score for the case


@dataclass(frozen=True)
class TagRow:
    """One method on the cases carrying one tag value: mean of its per-case values per metric."""

    tag: str
    cases: int
    method: str
    scored: int
    values: list[Value]


@dataclass(frozen=True)
class TagTable:
    """The breakdown by one tag key (e.g. body_structure): a group of method rows per tag value."""

    key: str
    columns: list[Column]
    rows: list[TagRow]


def case_columns(section: Section, board: Leaderboard) -> list[Column]:
    """The board's columns that have per-case values."""
    present = {m for entry in section.methods.values() for values in entry.get("per_case", {}).values() for m in values}
    return [c for c in board.columns if c.key in present]


def tag_tables(section: Section, board: Leaderboard) -> list[TagTable]:
    """A table per tag key of the setting's cases; each tag value's cases averaged per method (cases weigh
    equally), the best and second marked within each tag value."""
    columns = case_columns(section, board)
    keys = list(dict.fromkeys(k for info in section.cases.values() for k in info.get("tags", {})))
    tables = []
    for key in keys:
        groups: dict[str, list[str]] = {}
        for case_id, info in section.cases.items():
            tag = info.get("tags", {}).get(key)
            if tag is not None:
                groups.setdefault(str(tag), []).append(case_id)
        rows = []
        for tag, cases in sorted(groups.items()):
            means = {}
            for method, entry in section.methods.items():
                per_case = entry.get("per_case", {})
                means[method] = [_mean([per_case[c][col.key] for c in cases if col.key in per_case.get(c, {})])
                                 for col in columns]
            marks = [ranks([means[m][i] for m in section.methods], col.higher_is_better)
                     for i, col in enumerate(columns)]
            for index, method in enumerate(section.methods):
                scored = sum(c in section.methods[method].get("per_case", {}) for c in cases)
                values = [Value(v, col.text(v), marks[i][index]) for i, (col, v) in
                          enumerate(zip(columns, means[method], strict=True))]
                rows.append(TagRow(tag, len(cases), method, scored, values))
        tables.append(TagTable(key, columns, rows))
    return tables


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


@dataclass(frozen=True)
class CaseRow:
    """One case: its tags, a value per method (missing when not scored) and its warnings."""

    case_id: str
    tags: dict[str, str]
    values: list[Value]
    notes: list[str]


@dataclass(frozen=True)
class CaseTable:
    """The per-case values of one metric, a column per method."""

    column: Column
    methods: list[str]
    rows: list[CaseRow]


def case_tables(section: Section, board: Leaderboard) -> list[CaseTable]:
    """A case × method table per case metric, each case's best and second marked."""
    methods = list(section.methods)
    notes = {case: [f"{m}: {note}" for m in methods for note in section.methods[m].get("notes", {}).get(case, [])]
             for case in section.case_ids()}
    tables = []
    for column in case_columns(section, board):
        rows = []
        for case in section.case_ids():
            values = []
            for method in methods:
                per_case = section.methods[method].get("per_case", {})
                value = per_case.get(case, {}).get(column.key)
                state = "missing" if case not in per_case else ""
                values.append(Value(value, "missing" if state else column.text(value), 0, state))
            marks = ranks([v.value for v in values], column.higher_is_better)
            values = [Value(v.value, v.text, mark, v.state) for v, mark in zip(values, marks, strict=True)]
            tags = {k: str(v) for k, v in section.cases.get(case, {}).get("tags", {}).items()}
            rows.append(CaseRow(case, tags, values, notes[case]))
        tables.append(CaseTable(column, methods, rows))
    return tables
