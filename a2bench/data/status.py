"""The data root's state file: per suite, its folder and its last verification (when, fast or full, result).

`<root>/.a2bench-state.json` only caches what `a2bench data verify` and `a2bench data download` found, for
`a2bench data status`; it is rewritten atomically and never trusted in place of a verification.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from a2bench.atomic import atomic_write_json
from a2bench.data.suites import Suite, broken_imports, data_root, known_suites
from a2bench.errors import DataError

STATE_FILE = ".a2bench-state.json"
STATE_VERSION = 1


@dataclass(frozen=True)
class Verification:
    """A suite's last verification: its folder, when (UTC, ISO 8601), how, the problem count and the fingerprint."""

    folder: str
    checked_at: str
    mode: Literal["fast", "full"]
    problems: int
    fingerprint: str

    @property
    def ok(self) -> bool:
        """True when every file passed."""
        return self.problems == 0


@dataclass(frozen=True)
class SuiteStatus:
    """What `a2bench data status` shows for one suite."""

    name: str
    source: str
    folder: Path
    present: bool
    last: Verification | None
    fingerprint: str
    broken: str | None = None

    @property
    def stale(self) -> bool:
        """True when the suite's manifest changed since its last verification."""
        return self.broken is None and self.last is not None and self.last.fingerprint != self.fingerprint


def state_path(root: Path | str | None = None) -> Path:
    """Where the state file of a data root lives."""
    return data_root(root) / STATE_FILE


def load_state(root: Path | str | None = None) -> dict[str, Verification]:
    """Last verifications by suite; empty when the state file does not exist yet."""
    path = state_path(root)
    if not path.exists():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return {name: Verification(**entry) for name, entry in document["suites"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise DataError(f"cannot read the state file ({type(exc).__name__}: {exc})", path=path,
                        fix="delete it; it only caches verification results") from None


def _write_state(path: Path, state: dict[str, Verification]) -> None:
    """Write the state file through a temporary file in the same folder and an atomic rename."""
    document = {"version": STATE_VERSION, "suites": {name: asdict(entry) for name, entry in sorted(state.items())}}
    atomic_write_json(path, document, indent=1)


def record_verification(suite: Suite, full: bool, problems: int) -> Verification:
    """Record a verification of `suite` in its data root's state file.

    The file is only a cache: an unreadable one is replaced, and a read-only data root leaves it unwritten.
    """
    entry = Verification(folder=str(suite.folder), checked_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                         mode="full" if full else "fast", problems=problems,
                         fingerprint=suite.manifest.fingerprint())
    try:
        state = load_state(suite.folder.parent)
    except DataError:
        state = {}
    state[suite.name] = entry
    with contextlib.suppress(OSError):
        _write_state(suite.folder.parent / STATE_FILE, state)
    return entry


def suite_statuses(root: Path | str | None = None) -> list[SuiteStatus]:
    """Every known suite with its folder, presence and last recorded verification."""
    base = data_root(root)
    state = load_state(base)
    statuses = [SuiteStatus(name=name, source=manifest.sources[0].kind if manifest.sources else "-",
                            folder=base / name, present=(base / name).is_dir(), last=state.get(name),
                            fingerprint=manifest.fingerprint())
                for name, manifest in known_suites(base).items()]
    statuses += [SuiteStatus(name=name, source="local", folder=base / name, present=True, last=state.get(name),
                             fingerprint="", broken=error.line()) for name, error in broken_imports(base).items()]
    return sorted(statuses, key=lambda status: status.name)
