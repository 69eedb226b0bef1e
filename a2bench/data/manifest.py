"""Suite manifests: a validated schema (pydantic), loading with readable errors, and the fingerprint."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from a2bench.errors import DataError
from a2bench.names import name_problem

Role = Literal["reference", "reference_pose", "poses", "skeleton", "ground_truth", "driving"]
SHA256_PATTERN = r"^[0-9a-f]{64}$"


def _valid_name(value: str, what: str) -> str:
    """Suite names and case ids follow a2bench's one naming rule (a2bench.names)."""
    problem = name_problem(value)
    if problem is not None:
        raise ValueError(f"{what} {value!r} {problem}")
    return value


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo in a manifest must not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FileEntry(StrictModel):
    """One file (or frame folder) of a case, relative to the suite folder, with its pinned hash."""

    path: str
    sha256: str = Field(pattern=SHA256_PATTERN)
    hash: Literal["file", "content"] = "file"
    size: int | None = Field(default=None, ge=0)

    @field_validator("path")
    @classmethod
    def _relative_inside(cls, value: str) -> str:
        pure = PurePosixPath(value)
        if pure.is_absolute() or ".." in pure.parts or "\\" in value or not value:
            raise ValueError(f"path {value!r} must be relative to the suite folder, without '..'")
        return value


class CaseEntry(StrictModel):
    """A case: its files by role and free-form tags (body structure, style, ...)."""

    id: str
    files: dict[Role, FileEntry]
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        return _valid_name(value, "case id")

    @model_validator(mode="after")
    def _has_reference(self) -> CaseEntry:
        if "reference" not in self.files:
            raise ValueError(f"case {self.id!r} has no 'reference' file")
        return self


class Source(StrictModel):
    """Where the suite's files come from."""

    kind: Literal["generated", "huggingface", "https", "archive", "local"]
    location: str = ""
    revision: str | None = None
    note: str = ""


class ProtocolDefaults(StrictModel):
    """Resolution (H, W), frame count and frame rate the suite is scored at."""

    resolution: tuple[int, int]
    frames: int = Field(gt=0)
    fps: int = Field(gt=0)


class Manifest(StrictModel):
    """A suite: identity, provenance of its files, its cases and how it is scored."""

    suite: str
    version: str
    description: str
    license: str
    sources: list[Source]
    settings: list[str] = Field(default_factory=lambda: ["self"])
    protocol_defaults: ProtocolDefaults
    cases: list[CaseEntry]

    @field_validator("suite")
    @classmethod
    def _valid_suite(cls, value: str) -> str:
        return _valid_name(value, "suite name")

    @model_validator(mode="after")
    def _unique_cases(self) -> Manifest:
        ids = [case.id for case in self.cases]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate case ids: {', '.join(duplicates)}")
        return self

    @property
    def imported(self) -> bool:
        """True for suites whose files come from a user's local copy (`a2bench data import`)."""
        return bool(self.sources) and all(source.kind == "local" for source in self.sources)

    @property
    def generated(self) -> bool:
        """True for suites a2bench generates locally (no download)."""
        return any(source.kind == "generated" for source in self.sources)

    def fingerprint(self) -> str:
        """sha256 over the manifest version and the sorted per-file hashes: names the exact data used."""
        digest = hashlib.sha256(f"{self.suite}@{self.version}\n".encode())
        entries = sorted(f"{case.id}/{role}:{entry.hash}:{entry.sha256}"
                         for case in self.cases for role, entry in case.files.items())
        digest.update("\n".join(entries).encode())
        return digest.hexdigest()


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "top level"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {error['msg'].removeprefix('Value error, ')}{more}"


def parse_manifest(text: str, source: Path | str) -> Manifest:
    """Validate manifest JSON, raising DataError with the first problem and where it is."""
    try:
        return Manifest.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise DataError(f"manifest is not valid JSON (line {exc.lineno}: {exc.msg})", path=source,
                        fix="fix the JSON syntax") from None
    except ValidationError as exc:
        raise DataError(f"manifest fails validation at {_first_error(exc)}", path=source,
                        fix="correct the manifest (schema in a2bench/data/manifest.py)") from None


def load_manifest_file(path: Path) -> Manifest:
    """Read and validate a manifest file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read manifest ({exc.strerror})", path=path, fix="check the path") from None
    return parse_manifest(text, path)


def dump_manifest(manifest: Manifest) -> str:
    """Stable JSON for committing: sorted keys where order carries no meaning."""
    return json.dumps(manifest.model_dump(mode="json", exclude_none=True), indent=1, ensure_ascii=False) + "\n"
