"""Suites on disk: where they live, their cases, verification against the manifest, local generation."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from a2bench.data.hashing import content_sha256, file_sha256
from a2bench.data.manifest import CaseEntry, FileEntry, Manifest, load_manifest_file, parse_manifest
from a2bench.errors import DataError, UnknownNameError

DATA_ENV = "A2BENCH_DATA"
ROOT_OPTION = f"--root (or ${DATA_ENV})"  # how errors name the data root's option
LOCK_FILE = "suite.lock.json"


def data_root(root: Path | str | None = None) -> Path:
    """The data root: `--root`, else $A2BENCH_DATA, else the per-user data directory; DataError naming where it
    came from when it exists but is not a folder."""
    if root is not None:
        path, origin, fix = Path(root).expanduser(), "--root", "pass --root a folder"
    elif os.environ.get(DATA_ENV):
        path, origin = Path(os.environ[DATA_ENV]).expanduser(), f"${DATA_ENV}"
        fix = f"set {origin} to a folder, or pass --root DIR"
    else:
        from platformdirs import user_data_dir

        path, origin = Path(user_data_dir("a2bench", appauthor=False)), "the per-user data directory"
        fix = "move that file away, or pass --root DIR"
    if path.exists() and not path.is_dir():
        raise DataError(f"the data root ({origin}) is a file, not a folder", path=path, fix=fix)
    return path


def builtin_suites() -> dict[str, Manifest]:
    """Every manifest shipped in a2bench.data_manifests, by suite id."""
    suites = {}
    for entry in resources.files("a2bench.data_manifests").iterdir():
        if entry.name.endswith(".json"):
            manifest = parse_manifest(entry.read_text(encoding="utf-8"), f"a2bench.data_manifests/{entry.name}")
            suites[manifest.suite] = manifest
    return dict(sorted(suites.items()))


def _scan_imports(root: Path | str | None) -> tuple[dict[str, Manifest], dict[str, DataError]]:
    """The lock manifests under the data root: valid ones by suite id, broken ones by folder name."""
    base = data_root(root)
    suites: dict[str, Manifest] = {}
    broken: dict[str, DataError] = {}
    for lock in sorted(base.glob(f"*/{LOCK_FILE}")) if base.is_dir() else []:
        try:
            manifest = load_manifest_file(lock)
        except DataError as exc:
            broken[lock.parent.name] = exc
            continue
        suites[manifest.suite] = manifest
    return suites, broken


def imported_suites(root: Path | str | None = None) -> dict[str, Manifest]:
    """Suites imported under the data root, from their lock manifests (broken ones: `broken_imports`)."""
    return _scan_imports(root)[0]


def broken_imports(root: Path | str | None = None) -> dict[str, DataError]:
    """Imports whose lock manifest cannot be read or validated, by folder name, with the error: listed apart, so
    that one broken import never hides the other suites."""
    return _scan_imports(root)[1]


def known_suites(root: Path | str | None = None) -> dict[str, Manifest]:
    """Every usable suite a2bench knows: shipped manifests, replaced by the lock manifest of an imported copy (a
    suite whose import is broken is left out here and listed by `broken_imports`)."""
    imported, broken = _scan_imports(root)
    return {name: manifest for name, manifest in sorted({**builtin_suites(), **imported}.items())
            if name not in broken}


def get_manifest(name: str, root: Path | str | None = None) -> Manifest:
    """The manifest of a known suite (an imported copy's lock manifest when there is one)."""
    lock = data_root(root) / name / LOCK_FILE
    if lock.is_file():
        return load_manifest_file(lock)
    suites = builtin_suites()
    if name not in suites:
        raise UnknownNameError(f"unknown suite '{name}'",
                               fix=f"use one of: {', '.join(suites)} (see `a2bench suites list`), or import a "
                                   f"folder with `a2bench data import custom {name} --from DIR`")
    return suites[name]


@dataclass(frozen=True)
class Case:
    """One benchmark case: paths of its files by role, and its tags."""

    id: str
    files: dict[str, Path]
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def reference(self) -> Path:
        return self.files["reference"]

    @property
    def ground_truth(self) -> Path | None:
        return self.files.get("ground_truth")

    @property
    def poses(self) -> Path | None:
        return self.files.get("poses")

    @property
    def reference_pose(self) -> Path | None:
        return self.files.get("reference_pose")


@dataclass(frozen=True)
class Problem:
    """A file that fails verification: what is wrong and how to fix it."""

    path: Path
    issue: str

    def line(self) -> str:
        return f"{self.path}: {self.issue}"


@dataclass(frozen=True)
class Suite:
    """A suite's manifest and the folder holding its files."""

    manifest: Manifest
    folder: Path

    @property
    def name(self) -> str:
        return self.manifest.suite

    def cases(self) -> list[Case]:
        return [Case(entry.id, {role: self.folder / f.path for role, f in entry.files.items()}, dict(entry.tags))
                for entry in self.manifest.cases]

    def verify(self, full: bool = True, on_file: Callable[[], None] | None = None) -> list[Problem]:
        """Problems with the suite's files: missing ones, and (full) ones whose hash differs."""
        problems = []
        for entry in self.manifest.cases:
            for role, file in entry.files.items():
                problem = self._check(entry, role, file, full)
                if problem:
                    problems.append(problem)
                if on_file:
                    on_file()
        return problems

    def file_count(self) -> int:
        return sum(len(case.files) for case in self.manifest.cases)

    def _check(self, case: CaseEntry, role: str, file: FileEntry, full: bool) -> Problem | None:
        path = self.folder / file.path
        if not path.exists():
            return Problem(path, f"missing ({case.id} {role})")
        if file.size is not None and path.is_file() and path.stat().st_size != file.size:
            return Problem(path, f"size {path.stat().st_size} differs from the manifest's {file.size}")
        if full:
            try:
                actual = content_sha256(path) if file.hash == "content" else file_sha256(path)
            except DataError as exc:
                return Problem(path, exc.message)
            if actual != file.sha256:
                return Problem(path, "altered: its hash differs from the manifest")
        return None


def open_suite(name: str, root: Path | str | None = None) -> Suite:
    """The suite `name` under the data root (its files may or may not be present yet)."""
    return Suite(get_manifest(name, root), data_root(root) / name)


def require_present(suite: Suite) -> None:
    """DataError with the command that puts the suite in place, unless its folder is there."""
    if not suite.folder.is_dir():
        raise DataError(f"suite {suite.name} is not present", path=suite.folder, fix=restore_hint(suite.manifest))


def require_verified(suite: Suite, full: bool = True) -> None:
    """Raise DataError naming the first problem (and how many) unless every file verifies."""
    problems = suite.verify(full=full)
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise DataError(problems[0].issue + more, path=problems[0].path, fix=restore_hint(suite.manifest))


def restore_hint(manifest: Manifest) -> str:
    """The command that puts a suite's files (back) in place."""
    if manifest.imported and manifest.suite not in builtin_suites():
        return f"import your folder again with `a2bench data import custom {manifest.suite} --from DIR --force`"
    if manifest.imported:
        return (f"import your copy with `a2bench data import {manifest.suite} --from DIR` "
                "(--force replaces an earlier import)")
    if manifest.generated:
        return f"run `a2bench data download {manifest.suite}` to regenerate it"
    return f"run `a2bench data download {manifest.suite}`"
