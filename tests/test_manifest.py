"""Manifest validation: every malformed manifest fails with the place of the problem, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from a2bench.data.manifest import parse_manifest
from a2bench.data.suites import get_manifest
from a2bench.errors import DataError
from tests.cli_helpers import assert_clean_failure, run_cli

SHA = "0" * 64


def manifest(**changes: object) -> dict:
    document = {
        "suite": "mine", "version": "1", "description": "d", "license": "l",
        "sources": [{"kind": "local", "location": "/data"}],
        "protocol_defaults": {"resolution": [64, 64], "frames": 4, "fps": 8},
        "cases": [{"id": "c1", "files": {"reference": {"path": "c1/reference.png", "sha256": SHA}}}],
    }
    document.update(changes)
    return document


def test_valid_manifest_round_trips() -> None:
    parsed = parse_manifest(json.dumps(manifest()), "m.json")
    assert parsed.cases[0].files["reference"].path == "c1/reference.png"
    assert len(parsed.fingerprint()) == 64


@pytest.mark.parametrize(("changes", "where"), [
    ({"suite": "Bad Name"}, "suite"),
    ({"extra_key": 1}, "extra_key"),
    ({"cases": [{"id": "c1", "files": {"reference": {"path": "../escape.png", "sha256": SHA}}}]}, "path"),
    ({"cases": [{"id": "c1", "files": {"reference": {"path": "/abs.png", "sha256": SHA}}}]}, "path"),
    ({"cases": [{"id": "c1", "files": {"reference": {"path": "a.png", "sha256": "xyz"}}}]}, "sha256"),
    ({"cases": [{"id": "c1", "files": {"video": {"path": "a.mp4", "sha256": SHA}}}]}, "video"),
    ({"cases": [{"id": "c1", "files": {"poses": {"path": "a.npz", "sha256": SHA}}}]}, "reference"),
    ({"cases": [{"id": "c1", "files": {"reference": {"path": "a.png", "sha256": SHA}}}] * 2}, "duplicate"),
    ({"protocol_defaults": {"resolution": [64, 64], "frames": 0, "fps": 8}}, "frames"),
])
def test_invalid_manifests_name_the_problem(changes: dict, where: str) -> None:
    with pytest.raises(DataError, match="fails validation") as error:
        parse_manifest(json.dumps(manifest(**changes)), "m.json")
    assert where in error.value.message


def test_invalid_json_names_the_line() -> None:
    with pytest.raises(DataError, match="line 1"):
        parse_manifest("{not json", "m.json")


def test_broken_lock_manifest_fails_cleanly_on_the_cli(tmp_path: Path) -> None:
    lock = tmp_path / "mine" / "suite.lock.json"
    lock.parent.mkdir()
    lock.write_text(json.dumps(manifest(version=None)))
    with pytest.raises(DataError):
        get_manifest("mine", tmp_path)
    assert_clean_failure(run_cli("data", "verify", "mine", "--root", tmp_path), str(lock), "fails validation")
