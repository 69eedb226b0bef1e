"""The result store: one SQLite database (WAL) per run directory.

Tables: runs (protocol, suite fingerprint, provenance), videos (one per method × case × seed),
cases (frames scored), metric_values (per-case values) and set_values (distribution metrics over
a whole method, and metrics skipped for want of weights). Each case's values land in one
transaction, so a killed run resumes with nothing lost and nothing counted twice.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from a2bench.scoring import CaseScore

STORE_FILE = "a2bench.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    protocol_id TEXT NOT NULL,
    protocol_version TEXT NOT NULL,
    suite TEXT,
    suite_fingerprint TEXT,
    setting TEXT,
    metrics TEXT NOT NULL,
    provenance TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS videos (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    method TEXT NOT NULL,
    case_id TEXT NOT NULL,
    seed INTEGER NOT NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (run_id, method, case_id, seed)
);
CREATE TABLE IF NOT EXISTS cases (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    method TEXT NOT NULL,
    case_id TEXT NOT NULL,
    frames INTEGER NOT NULL,
    PRIMARY KEY (run_id, method, case_id)
);
CREATE TABLE IF NOT EXISTS metric_values (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    method TEXT NOT NULL,
    case_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (run_id, method, case_id, metric)
);
CREATE TABLE IF NOT EXISTS set_values (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    method TEXT NOT NULL,
    metric TEXT NOT NULL,
    value REAL,
    ci_low REAL,
    ci_high REAL,
    n INTEGER NOT NULL,
    skipped TEXT,
    PRIMARY KEY (run_id, method, metric)
);
"""


class Store:
    """A connection to a run directory's database; use as a context manager."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def open_run(self, protocol_id: str, protocol_version: str, metrics: list[str], provenance: dict[str, Any],
                 suite: str | None = None, suite_fingerprint: str | None = None, setting: str | None = None) -> int:
        """The latest run with the same protocol, data and metrics (to resume), or a new one."""
        row = self.db.execute(
            "SELECT id FROM runs WHERE protocol_id=? AND protocol_version=? AND suite IS ? AND suite_fingerprint IS ?"
            " AND setting IS ? AND metrics=? ORDER BY id DESC LIMIT 1",
            (protocol_id, protocol_version, suite, suite_fingerprint, setting, json.dumps(metrics)),
        ).fetchone()
        if row:
            return int(row[0])
        with self.db:
            cursor = self.db.execute(
                "INSERT INTO runs (protocol_id, protocol_version, suite, suite_fingerprint, setting, metrics,"
                " provenance) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (protocol_id, protocol_version, suite, suite_fingerprint, setting, json.dumps(metrics),
                 json.dumps(provenance)),
            )
        return int(cursor.lastrowid)

    def run(self, run_id: int) -> dict[str, Any]:
        """A run's row as a dict, provenance and metrics decoded."""
        cursor = self.db.execute("SELECT * FROM runs WHERE id=?", (run_id,))
        row = cursor.fetchone()
        if row is None:
            raise KeyError(f"no run {run_id} in {self.path}")
        record = dict(zip([c[0] for c in cursor.description], row, strict=True))
        record["provenance"] = json.loads(record["provenance"])
        record["metrics"] = json.loads(record["metrics"])
        return record

    def latest_run(self) -> int | None:
        row = self.db.execute("SELECT max(id) FROM runs").fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def record_video(self, run_id: int, method: str, case_id: str, seed: int, path: Path) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO videos VALUES (?, ?, ?, ?, ?)",
                            (run_id, method, case_id, seed, str(path)))

    def video(self, run_id: int, method: str, case_id: str, seed: int) -> Path | None:
        row = self.db.execute("SELECT path FROM videos WHERE run_id=? AND method=? AND case_id=? AND seed=?",
                              (run_id, method, case_id, seed)).fetchone()
        return Path(row[0]) if row else None

    def record_case(self, run_id: int, method: str, score: CaseScore) -> None:
        """Store a case's frame count and every metric value in one transaction."""
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO cases VALUES (?, ?, ?, ?)",
                            (run_id, method, score.case_id, score.frames))
            self.db.executemany("INSERT OR REPLACE INTO metric_values VALUES (?, ?, ?, ?, ?)",
                                [(run_id, method, score.case_id, metric, value)
                                 for metric, value in score.values.items()])

    def record_set_values(self, run_id: int, method: str, distribution: dict[str, dict[str, Any]],
                          skipped: dict[str, str]) -> None:
        """Store a method's distribution metrics and skipped metrics, replacing earlier ones, in one transaction."""
        rows = [(run_id, method, name, e["value"], *(e["ci95"] or (None, None)), e["n"], None)
                for name, e in distribution.items()]
        rows += [(run_id, method, name, None, None, None, 0, reason) for name, reason in skipped.items()]
        with self.db:
            self.db.execute("DELETE FROM set_values WHERE run_id=? AND method=?", (run_id, method))
            self.db.executemany("INSERT INTO set_values VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def set_values(self, run_id: int, method: str) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        """A method's distribution metric entries and skipped metrics."""
        distribution, skipped = {}, {}
        for name, value, low, high, n, reason in self.db.execute(
                "SELECT metric, value, ci_low, ci_high, n, skipped FROM set_values WHERE run_id=? AND method=?",
                (run_id, method)):
            if reason is not None:
                skipped[name] = reason
            else:
                distribution[name] = {"value": value, "ci95": [low, high] if low is not None else None, "n": n}
        return distribution, skipped

    def scored_cases(self, run_id: int, method: str) -> set[str]:
        rows = self.db.execute("SELECT case_id FROM cases WHERE run_id=? AND method=?", (run_id, method))
        return {row[0] for row in rows}

    def methods(self, run_id: int) -> list[str]:
        rows = self.db.execute("SELECT DISTINCT method FROM cases WHERE run_id=? ORDER BY rowid", (run_id,))
        return [row[0] for row in rows]

    def case_scores(self, run_id: int, method: str) -> list[CaseScore]:
        """Every scored case of a method, with its metric values."""
        scores = {case_id: CaseScore(case_id, frames) for case_id, frames in self.db.execute(
            "SELECT case_id, frames FROM cases WHERE run_id=? AND method=? ORDER BY case_id", (run_id, method))}
        for case_id, metric, value in self.db.execute(
                "SELECT case_id, metric, value FROM metric_values WHERE run_id=? AND method=?", (run_id, method)):
            scores[case_id].values[metric] = value
        return list(scores.values())
