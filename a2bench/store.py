"""The result store: one SQLite database (WAL) per run directory.

A run directory holds one run: its identity (protocol id, version, digest and declaration, suite fingerprint
and setting, metrics, device type, execution mode, weights sha256s) and provenance, then per method and seed
the scored cases (with the digests of the decoded videos and the prediction's path), the suite's cases
(tags, and the paths of their ground truth, reference and skeleton), per-case metric values with their item counts,
set values (distribution metrics and skipped metrics) and the feature blocks distribution metrics used. Each case
lands in one transaction, so a killed run resumes with nothing lost and nothing counted twice.

Generation adds the suite it generates for (`generation`: suite, fingerprint, setting, derivation) and one row
per job (`jobs`: method × case × seed × setting) with its state — pending, running, done or failed —, the finished
video, the reason and log tail of a failure, wall time, peak GPU memory and what the harness did to the output.
A job is marked done only after its video was renamed into place, in one transaction.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from a2bench.errors import A2BenchError
from a2bench.scoring import CaseScore

STORE_FILE = "a2bench.sqlite"
SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    identity TEXT NOT NULL,
    protocol TEXT NOT NULL,
    provenance TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cases (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    method TEXT NOT NULL,
    seed INTEGER NOT NULL,
    case_id TEXT NOT NULL,
    frames INTEGER NOT NULL,
    pred_digest TEXT,
    gt_digest TEXT,
    reference_digest TEXT,
    notes TEXT NOT NULL DEFAULT '[]',
    pred_path TEXT,
    PRIMARY KEY (run_id, method, seed, case_id)
);
CREATE TABLE IF NOT EXISTS run_cases (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    case_id TEXT NOT NULL,
    tags TEXT NOT NULL,
    files TEXT NOT NULL,
    PRIMARY KEY (run_id, case_id)
);
CREATE TABLE IF NOT EXISTS metric_values (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    method TEXT NOT NULL,
    seed INTEGER NOT NULL,
    case_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    value REAL NOT NULL,
    items INTEGER NOT NULL,
    PRIMARY KEY (run_id, method, seed, case_id, metric)
);
CREATE TABLE IF NOT EXISTS set_values (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    method TEXT NOT NULL,
    seed INTEGER NOT NULL,
    metric TEXT NOT NULL,
    value REAL,
    ci_low REAL,
    ci_high REAL,
    n INTEGER NOT NULL,
    skipped TEXT,
    PRIMARY KEY (run_id, method, seed, metric)
);
CREATE TABLE IF NOT EXISTS case_features (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    method TEXT NOT NULL,
    seed INTEGER NOT NULL,
    case_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    extractor_key TEXT NOT NULL,
    pred_digest TEXT NOT NULL,
    gt_digest TEXT NOT NULL,
    PRIMARY KEY (run_id, method, seed, case_id, metric)
);
CREATE TABLE IF NOT EXISTS generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    identity TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    method TEXT NOT NULL,
    case_id TEXT NOT NULL,
    seed INTEGER NOT NULL,
    setting TEXT NOT NULL,
    source TEXT NOT NULL,
    state TEXT NOT NULL,
    path TEXT,
    reason TEXT,
    log_path TEXT,
    log_tail TEXT,
    seconds REAL,
    peak_gpu_bytes INTEGER,
    normalised TEXT NOT NULL DEFAULT '{}',
    device TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (method, case_id, seed, setting)
);
"""
JOB_STATES = ("pending", "running", "done", "failed")
JOB_COLUMNS = ("method", "case_id", "seed", "setting", "source", "state", "path", "reason", "log_path", "log_tail",
               "seconds", "peak_gpu_bytes", "normalised", "device", "attempts")


@dataclass(frozen=True)
class JobRow:
    """A job as stored: its key, where it comes from (an adapter, or a precomputed folder) and how it stands."""

    method: str
    case_id: str
    seed: int
    setting: str
    source: str
    state: str
    path: Path | None = None
    reason: str | None = None
    log_path: Path | None = None
    log_tail: str | None = None
    seconds: float | None = None
    peak_gpu_bytes: int | None = None
    normalised: dict[str, str] = field(default_factory=dict)
    device: str | None = None
    attempts: int = 0

    @property
    def key(self) -> tuple[str, str, int, str]:
        return (self.method, self.case_id, self.seed, self.setting)


class StoreError(A2BenchError):
    """A run database that cannot be used: unreadable, from another a2bench schema."""


class Store:
    """A connection to a run directory's database; use as a context manager."""

    def __init__(self, path: Path, create: bool = True):
        """`create`: open read-write, making the database and its schema when missing; otherwise open an
        existing run read-only (nothing is written, so a read-only folder or a CI baseline stays as it is)."""
        if not create and not path.is_file():
            raise StoreError("no run database", path=path, fix="pass the --out folder of an a2bench run")
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.writable = path, create
        try:
            self.db = sqlite3.connect(path) if create else _read_only(path)
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            tables = self.db.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"not a readable a2bench run database ({exc})", path=path,
                             fix="pass the run directory's a2bench.sqlite, or score into a new --out") from None
        if (tables or not create) and version != SCHEMA_VERSION:
            self.db.close()
            raise StoreError(f"run database has schema {version}, this a2bench reads {SCHEMA_VERSION}", path=path,
                             fix="score into a new --out folder (results.json of the old run stays readable)")
        self.db.execute("PRAGMA busy_timeout=30000")
        if create:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            with self.db:
                self.db.executescript(SCHEMA)
                self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close; the last writer leaves the database in rollback-journal mode (one file, nothing to replay), so a
        reader needs no -wal/-shm files beside it, in a read-only folder too. Skipped while others have it open."""
        if self.writable:
            self.db.execute("PRAGMA busy_timeout=0")
            with contextlib.suppress(sqlite3.OperationalError):
                self.db.execute("PRAGMA journal_mode=DELETE")
        self.db.close()

    # ---------------------------------------------------------------- the run

    def open_run(self, identity: Mapping[str, Any], protocol: Mapping[str, Any], provenance: Mapping[str, Any],
                 merge: Callable[[Mapping[str, Any], Mapping[str, Any]], Mapping[str, Any]],
                 merge_provenance: Callable[[Mapping[str, Any], Mapping[str, Any]], Mapping[str, Any]]) -> int:
        """The directory's run (a directory holds one): created with this identity and provenance, or the existing
        one's identity merged with it by `merge` (which raises when they disagree) and its provenance by
        `merge_provenance`. One immediate transaction, so two processes opening a new directory at once make one
        run."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            row = self.db.execute("SELECT id, identity, provenance FROM runs ORDER BY id LIMIT 1").fetchone()
            if row is None:
                cursor = self.db.execute("INSERT INTO runs (identity, protocol, provenance) VALUES (?, ?, ?)",
                                         (json.dumps(identity), json.dumps(protocol), json.dumps(provenance)))
                return int(cursor.lastrowid)  # type: ignore[arg-type]
            merged = merge(json.loads(row[1]), identity)
            self.db.execute("UPDATE runs SET identity=?, provenance=? WHERE id=?",
                            (json.dumps(merged), json.dumps(merge_provenance(json.loads(row[2]), provenance)), row[0]))
            return int(row[0])

    def note_method(self, run_id: int, method: str, info: Mapping[str, Any]) -> None:
        """Record in the run's provenance how and when a method was scored (its folder, a2bench version)."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            (text,) = self.db.execute("SELECT provenance FROM runs WHERE id=?", (run_id,)).fetchone()
            provenance = json.loads(text)
            provenance.setdefault("methods", {})[method] = dict(info)
            self.db.execute("UPDATE runs SET provenance=? WHERE id=?", (json.dumps(provenance), run_id))

    def note_provenance(self, run_id: int, key: str, value: Any) -> None:
        """Set one key of the run's provenance (e.g. the runs it was merged from)."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            (text,) = self.db.execute("SELECT provenance FROM runs WHERE id=?", (run_id,)).fetchone()
            self.db.execute("UPDATE runs SET provenance=? WHERE id=?", (json.dumps({**json.loads(text), key: value}),
                                                                         run_id))

    def run_id(self) -> int | None:
        """The directory's run, or None when nothing was scored into it yet."""
        row = self.db.execute("SELECT min(id) FROM runs").fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def run(self, run_id: int) -> dict[str, Any]:
        """A run's row: identity, protocol (id, version, digest, declaration, metric info) and provenance."""
        row = self.db.execute("SELECT created_at, identity, protocol, provenance FROM runs WHERE id=?",
                              (run_id,)).fetchone()
        if row is None:
            raise StoreError(f"no run {run_id}", path=self.path, fix="pass the --out folder of an a2bench run")
        return {"created_at": row[0], "identity": json.loads(row[1]), "protocol": json.loads(row[2]),
                "provenance": json.loads(row[3])}

    # ---------------------------------------------------------------- generation jobs

    def _stored(self, path: Path | None) -> str | None:
        """A path as stored: relative to the run directory when inside it (so the directory can move)."""
        if path is None:
            return None
        try:
            return str(Path(path).resolve().relative_to(self.path.parent.resolve()))
        except ValueError:
            return str(Path(path).resolve())

    def _loaded(self, text: str | None) -> Path | None:
        return None if text is None else self.path.parent / text

    def open_generation(self, identity: Mapping[str, Any]) -> dict[str, Any]:
        """The suite this directory generates for: recorded on first use, else the stored one (for the caller to
        compare)."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            row = self.db.execute("SELECT identity FROM generation WHERE id=1").fetchone()
            if row is not None:
                return json.loads(row[0])
            self.db.execute("INSERT INTO generation VALUES (1, ?)", (json.dumps(identity),))
            return dict(identity)

    def generation(self) -> dict[str, Any] | None:
        row = self.db.execute("SELECT identity FROM generation WHERE id=1").fetchone()
        return json.loads(row[0]) if row else None

    def add_jobs(self, keys: Iterable[tuple[str, str, int, str]], source: str) -> None:
        """Plan jobs (pending); jobs already planned keep their state."""
        with self.db:
            self.db.executemany("INSERT OR IGNORE INTO jobs (method, case_id, seed, setting, source, state) VALUES "
                                "(?, ?, ?, ?, ?, 'pending')", [(*key, source) for key in keys])

    def jobs(self, method: str | None = None, states: Sequence[str] = JOB_STATES) -> list[JobRow]:
        """Jobs (of one method, or all) in the given states, ordered by method, seed and case."""
        marks = ",".join("?" * len(states))
        query = f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs WHERE state IN ({marks})"
        arguments: list[Any] = list(states)
        if method is not None:
            query += " AND method=?"
            arguments.append(method)
        rows = self.db.execute(query + " ORDER BY method, seed, case_id", arguments).fetchall()
        return [self._job(row) for row in rows]

    def _job(self, row: Sequence[Any]) -> JobRow:
        values = dict(zip(JOB_COLUMNS, row, strict=True))
        values.update(path=self._loaded(values["path"]), log_path=self._loaded(values["log_path"]),
                      normalised=json.loads(values["normalised"]))
        return JobRow(**values)

    def job_methods(self) -> list[str]:
        """Methods with jobs, in the order they were first planned."""
        return [row[0] for row in self.db.execute("SELECT method FROM jobs GROUP BY method ORDER BY min(rowid)")]

    def start_job(self, key: tuple[str, str, int, str], device: str) -> None:
        with self.db:
            self.db.execute("UPDATE jobs SET state='running', device=?, attempts=attempts+1, updated_at=strftime("
                            "'%Y-%m-%dT%H:%M:%SZ', 'now') WHERE method=? AND case_id=? AND seed=? AND setting=?",
                            (device, *key))

    def finish_job(self, key: tuple[str, str, int, str], *, done: bool, path: Path | None = None,
                   reason: str | None = None, log_path: Path | None = None, log_tail: str | None = None,
                   seconds: float | None = None, peak_gpu_bytes: int | None = None,
                   normalised: Mapping[str, str] | None = None, device: str | None = None) -> None:
        """Record how a job ended, in one transaction (a done job's video is already in place)."""
        with self.db:
            self.db.execute(
                "UPDATE jobs SET state=?, path=?, reason=?, log_path=?, log_tail=?, seconds=?, peak_gpu_bytes=?, "
                "normalised=?, device=coalesce(?, device), updated_at=strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
                "WHERE method=? AND case_id=? AND seed=? AND setting=?",
                ("done" if done else "failed", self._stored(path), reason, self._stored(log_path), log_tail, seconds,
                 peak_gpu_bytes, json.dumps(dict(normalised or {})), device, *key))

    def copy_jobs(self, rows: Iterable[JobRow], path_of: Callable[[JobRow], Path | None]) -> int:
        """Insert jobs from another run (paths given by `path_of`); a done job is never replaced by a failed one.
        Returns how many rows were written."""
        written = 0
        with self.db:
            for row in rows:
                current = self.db.execute("SELECT state FROM jobs WHERE method=? AND case_id=? AND seed=? AND "
                                          "setting=?", row.key).fetchone()
                if current is not None and (current[0] == "done" or row.state != "done"):
                    continue
                self.db.execute(f"INSERT OR REPLACE INTO jobs ({', '.join(JOB_COLUMNS)}) VALUES "
                                f"({', '.join('?' * len(JOB_COLUMNS))})",
                                (*row.key, row.source, row.state, self._stored(path_of(row)), row.reason, None,
                                 row.log_tail, row.seconds, row.peak_gpu_bytes, json.dumps(row.normalised),
                                 row.device, row.attempts))
                written += 1
        return written

    # ---------------------------------------------------------------- scored cases

    def record_run_cases(self, run_id: int, cases: Mapping[str, Mapping[str, Any]]) -> None:
        """The run's cases: their tags and the paths of their files by role ({case: {"tags", "files"}})."""
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO run_cases VALUES (?, ?, ?, ?)",
                                [(run_id, case_id, json.dumps(info.get("tags", {})), json.dumps(info.get("files", {})))
                                 for case_id, info in cases.items()])

    def run_cases(self, run_id: int) -> dict[str, dict[str, Any]]:
        return {case_id: {"tags": json.loads(tags), "files": json.loads(files)} for case_id, tags, files in
                self.db.execute("SELECT case_id, tags, files FROM run_cases WHERE run_id=? ORDER BY case_id",
                                (run_id,))}

    def record_case(self, run_id: int, method: str, score: CaseScore, digests: Mapping[str, str | None],
                    seed: int = 0, pred_path: Path | None = None) -> None:
        """Store a case's frame count, digests, notes and every metric value in one transaction."""
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO cases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (run_id, method, seed, score.case_id, score.frames, digests.get("pred"),
                             digests.get("gt"), digests.get("reference"), json.dumps(score.notes),
                             str(pred_path) if pred_path else None))
            self.db.execute("DELETE FROM metric_values WHERE run_id=? AND method=? AND seed=? AND case_id=?",
                            (run_id, method, seed, score.case_id))
            self.db.executemany("INSERT INTO metric_values VALUES (?, ?, ?, ?, ?, ?, ?)",
                                [(run_id, method, seed, score.case_id, metric, value, score.items[metric])
                                 for metric, value in score.values.items()])

    def stored_case(self, run_id: int, method: str, case_id: str, seed: int = 0) -> dict[str, Any] | None:
        """What was stored for a scored case: the digests of the decoded videos it was scored from, and its
        metric values with their item counts (a resume keeps them when the videos decode to the same digests)."""
        row = self.db.execute("SELECT pred_digest, gt_digest, reference_digest FROM cases WHERE run_id=? AND "
                              "method=? AND seed=? AND case_id=?", (run_id, method, seed, case_id)).fetchone()
        if row is None:
            return None
        values = {metric: (value, items) for metric, value, items in self.db.execute(
            "SELECT metric, value, items FROM metric_values WHERE run_id=? AND method=? AND seed=? AND case_id=?",
            (run_id, method, seed, case_id))}
        return {"digests": {"pred": row[0], "gt": row[1], "reference": row[2]}, "values": values}

    def record_set_values(self, run_id: int, method: str, distribution: Mapping[str, Mapping[str, Any]],
                          skipped: Mapping[str, str], seed: int = 0) -> None:
        """Store a method's distribution metrics and skipped metrics, replacing earlier ones, in one transaction."""
        rows = [(run_id, method, seed, name, e["value"], *(e["ci95"] or (None, None)), e["n"], None)
                for name, e in distribution.items()]
        rows += [(run_id, method, seed, name, None, None, None, 0, reason) for name, reason in skipped.items()]
        with self.db:
            self.db.execute("DELETE FROM set_values WHERE run_id=? AND method=? AND seed=?", (run_id, method, seed))
            self.db.executemany("INSERT INTO set_values VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def record_features(self, run_id: int, method: str, case_id: str,
                        blocks: Iterable[tuple[str, str, str, str]], seed: int = 0) -> None:
        """Which cached feature blocks (metric, extractor key, pred digest, gt digest) a case contributed."""
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO case_features VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                [(run_id, method, seed, case_id, *block) for block in blocks])

    def features(self, run_id: int, method: str, metric: str, seed: int = 0) -> list[tuple[str, str, str, str]]:
        """(case id, extractor key, pred digest, gt digest) of a metric's feature blocks, in case order."""
        return [tuple(row) for row in self.db.execute(  # type: ignore[misc]
            "SELECT case_id, extractor_key, pred_digest, gt_digest FROM case_features WHERE run_id=? AND method=? "
            "AND seed=? AND metric=? ORDER BY case_id", (run_id, method, seed, metric))]

    def set_values(self, run_id: int, method: str, seed: int = 0
                   ) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        """A method's distribution metric entries and skipped metrics."""
        distribution, skipped = {}, {}
        for name, value, low, high, n, reason in self.db.execute(
                "SELECT metric, value, ci_low, ci_high, n, skipped FROM set_values WHERE run_id=? AND method=? "
                "AND seed=?", (run_id, method, seed)):
            if reason is not None:
                skipped[name] = reason
            else:
                distribution[name] = {"value": value, "ci95": [low, high] if low is not None else None, "n": n}
        return distribution, skipped

    def methods(self, run_id: int) -> list[tuple[str, int]]:
        """(method, seed) pairs with scored cases, in the order they were first scored."""
        rows = self.db.execute("SELECT method, seed FROM cases WHERE run_id=? GROUP BY method, seed "
                               "ORDER BY min(rowid)", (run_id,))
        return [(row[0], int(row[1])) for row in rows]

    def videos(self, run_id: int, method: str, seed: int = 0) -> dict[str, str]:
        """The prediction each scored case of a method was scored from, by case id."""
        return {case_id: path for case_id, path in self.db.execute(
            "SELECT case_id, pred_path FROM cases WHERE run_id=? AND method=? AND seed=? AND pred_path IS NOT NULL "
            "ORDER BY case_id", (run_id, method, seed))}

    def case_scores(self, run_id: int, method: str, seed: int = 0) -> list[CaseScore]:
        """Every scored case of a method, with its metric values, item counts and notes."""
        scores = {case_id: CaseScore(case_id, frames, notes=json.loads(notes)) for case_id, frames, notes in
                  self.db.execute("SELECT case_id, frames, notes FROM cases WHERE run_id=? AND method=? AND seed=? "
                                  "ORDER BY case_id", (run_id, method, seed))}
        for case_id, metric, value, items in self.db.execute(
                "SELECT case_id, metric, value, items FROM metric_values WHERE run_id=? AND method=? AND seed=?",
                (run_id, method, seed)):
            scores[case_id].values[metric] = value
            scores[case_id].items[metric] = items
        return list(scores.values())

    def copy_scores(self, other: Store, other_run: int, run_id: int,
                    pred_path: Callable[[str | None], str | None]) -> None:
        """Copy another run's per-case scores (cases, their values, feature blocks, the run's cases) into run
        `run_id`, with each prediction's path mapped by `pred_path`; rows this run has already are kept, set
        values are left to be recomputed."""
        with self.db:
            for table in ("run_cases", "cases", "metric_values", "case_features"):
                columns = [row[1] for row in self.db.execute(f"PRAGMA table_info({table})")]
                rows = other.db.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE run_id=?", (other_run,))
                for row in rows:
                    values = dict(zip(columns, row, strict=True))
                    values["run_id"] = run_id
                    if "pred_path" in values:
                        values["pred_path"] = pred_path(values["pred_path"])
                    self.db.execute(f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) VALUES "
                                    f"({', '.join('?' * len(columns))})", tuple(values.values()))


def _read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection. A WAL database in a folder this process cannot write is opened immutable, which
    is exact only when no write-ahead log is left beside it (a killed writer's): refused then."""
    uri = path.resolve().as_uri()
    try:
        db = sqlite3.connect(f"{uri}?mode=ro", uri=True)
        db.execute("PRAGMA user_version").fetchone()
        return db
    except sqlite3.OperationalError:
        wal = path.with_name(path.name + "-wal")
        if os.access(path.parent, os.W_OK):
            raise
        if wal.is_file() and wal.stat().st_size > 0:
            raise StoreError(f"the folder is read-only and {wal.name} holds writes a killed a2bench left unfinished",
                             path=path, fix="copy the run directory to a writable folder and read it there") from None
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True)
