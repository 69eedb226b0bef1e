"""A suite under a setting: the cases a method is run on and scored against, with the hashes to verify them.

`self` is the suite as its manifest lists it. Derived settings (`rescaled`, robustness tracks) take their
driving poses and skeletons from the derivation folder (`a2bench data derive`, run here when it is missing):
synthetic suites have an exact ground truth per setting there, other suites are scored against the original
video (the paper's rescaled-pose protocol).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from a2bench.data.derive import DERIVATION_FILE, derive_suite, parse_setting
from a2bench.data.suites import Case, Suite, require_present


@dataclass(frozen=True)
class Expected:
    """The hash a file must have: of its bytes (`file`) or of its decoded content (`content`)."""

    sha256: str
    hash: str = "file"


@dataclass(frozen=True)
class SuiteSetting:
    """The cases of a suite under a setting, each file's expected hash, and what identifies the data."""

    suite: Suite
    setting: str
    seed: int
    cases: list[Case]
    expected: dict[tuple[str, str], Expected]
    derivation_fingerprint: str | None

    @property
    def fingerprint(self) -> str:
        """The suite's fingerprint (its manifest's); a derived setting adds its derivation's fingerprint."""
        return self.suite.manifest.fingerprint()

    def identity(self) -> dict[str, str | int | None]:
        return {"suite": self.suite.name, "fingerprint": self.fingerprint, "setting": self.setting,
                "derivation": self.derivation_fingerprint, "derivation_seed": self.seed if self.derivation_fingerprint
                else None}


def open_setting(suite: Suite, setting: str = "self", seed: int = 0,
                 on_case: Callable[[str], None] | None = None) -> SuiteSetting:
    """The suite's cases under `setting` (derived when not derived yet, reproducibly); the suite must be present."""
    parsed = parse_setting(setting)
    require_present(suite)
    expected = {(entry.id, role): Expected(file.sha256, file.hash)
                for entry in suite.manifest.cases for role, file in entry.files.items()}
    if parsed.kind == "self":
        return SuiteSetting(suite, parsed.name, seed, suite.cases(), expected, None)
    derivation = derive_suite(suite, parsed, seed, on_case=on_case)
    document = json.loads((derivation.folder / DERIVATION_FILE).read_text(encoding="utf-8"))
    derived = {case["id"]: case["files"] for case in document["cases"]}
    cases = []
    for case in suite.cases():
        files = dict(case.files)
        for role, entry in derived.get(case.id, {}).items():
            if role in ("poses", "skeleton", "ground_truth"):
                files[role] = derivation.folder / Path(entry["path"])
                expected[(case.id, role)] = Expected(entry["sha256"], "content")
        cases.append(replace(case, files=files))
    return SuiteSetting(suite, parsed.name, seed, cases, expected, derivation.fingerprint)
