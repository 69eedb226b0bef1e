"""Hugging Face sources against a minimal Hub endpoint on 127.0.0.1.

huggingface_hub reads HF_ENDPOINT, HF_HOME and HF_HUB_OFFLINE when it is imported, so each download runs in a fresh
interpreter that inherits the test's environment, exactly as `a2bench data download` would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from a2bench.data.download import DownloadOptions, download_suite
from a2bench.data.manifest import Source, dump_manifest
from a2bench.data.suites import Suite
from a2bench.errors import DataError
from tests.http_fixtures import FileServer, make_manifest, serving

REPO = "a2bench-test/web-mini"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
FILES = {f"case-{i}/reference.png": f"hub file {i} ".encode() * 300 for i in range(3)}

RUNNER = """
import json, sys
from pathlib import Path
from a2bench.data.download import DownloadOptions, download_suite
from a2bench.data.manifest import load_manifest_file
from a2bench.data.suites import Suite
manifest_path, folder = sys.argv[1], sys.argv[2]
report = download_suite(Suite(load_manifest_file(Path(manifest_path)), Path(folder)),
                        options=DownloadOptions(jobs=2, retries=1, backoff=0.01, timeout=5))
print(json.dumps({"fetched": sorted(report.fetched), "kept": report.kept,
                  "problems": [{"line": p.line(), "path": str(p.path)} for p in report.problems]}))
"""


def resolve_path(filename: str) -> str:
    return f"/datasets/{REPO}/resolve/{COMMIT}/{filename}"


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FileServer]:
    """A Hub-like endpoint with FILES at COMMIT; HF_ENDPOINT points at it and HF_HOME at a fresh folder."""
    with serving() as server:
        server.headers = {"X-Repo-Commit": COMMIT}
        server.missing_headers = {"X-Error-Code": "EntryNotFound"}
        for path, data in FILES.items():
            server.add(resolve_path(path), data)
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
        monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.delenv("HF_HUB_CACHE", raising=False)
        monkeypatch.delenv("HF_TOKEN", raising=False)
        yield server


def run_download(tmp_path: Path, folder: str, files: dict[str, bytes] = FILES, revision: str = COMMIT) -> dict:
    """Download the suite with a fresh interpreter; returns its report as a dict."""
    manifest_path = tmp_path / f"{folder}.json"
    manifest = make_manifest(files, [Source(kind="huggingface", location=REPO, revision=revision)])
    manifest_path.write_text(dump_manifest(manifest))
    result = subprocess.run([sys.executable, "-c", RUNNER, str(manifest_path), str(tmp_path / folder)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_files_come_from_the_pinned_revision_and_are_verified(tmp_path: Path, hub: FileServer) -> None:
    report = run_download(tmp_path, "suite")
    assert report == {"fetched": sorted(FILES), "kept": [], "problems": []}
    for path, data in FILES.items():
        assert (tmp_path / "suite" / path).read_bytes() == data
        assert [r.method for r in hub.requests if r.path == resolve_path(path)] == ["HEAD", "GET"]
    assert {r.path for r in hub.requests} == {resolve_path(path) for path in FILES}
    assert (tmp_path / "hf-home" / "hub" / f"datasets--{REPO.replace('/', '--')}").is_dir()


def test_offline_mode_uses_the_cache_and_makes_no_request(tmp_path: Path, hub: FileServer,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    run_download(tmp_path, "first")
    before = len(hub.requests)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    report = run_download(tmp_path, "second")
    assert report["fetched"] == sorted(FILES) and report["problems"] == []
    assert len(hub.requests) == before


def test_offline_mode_without_a_cache_says_so(tmp_path: Path, hub: FileServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    report = run_download(tmp_path, "suite")
    assert report["fetched"] == [] and len(report["problems"]) == len(FILES)
    assert all("HF_HUB_OFFLINE" in problem["line"] for problem in report["problems"])
    assert hub.requests == []
    assert not (tmp_path / "suite").exists() or not any(p.is_file() for p in (tmp_path / "suite").rglob("*"))


def test_wrong_bytes_on_the_hub_never_reach_the_suite_folder(tmp_path: Path, hub: FileServer) -> None:
    path = sorted(FILES)[0]
    hub.add(resolve_path(path), FILES[path], "wrong", "wrong")
    report = run_download(tmp_path, "suite")
    (problem,) = report["problems"]
    assert "does not match the manifest's sha256" in problem["line"]
    assert problem["path"] == str(tmp_path / "suite" / path)
    assert not (tmp_path / "suite" / path).exists()
    assert len(hub.gets(resolve_path(path))) == 2
    assert sorted(report["fetched"]) == sorted(set(FILES) - {path})


def test_missing_file_is_a_clear_error(tmp_path: Path, hub: FileServer) -> None:
    files = {**FILES, "case-9/reference.png": b"not on the hub"}
    report = run_download(tmp_path, "suite", files)
    (problem,) = report["problems"]
    assert "case-9/reference.png does not exist" in problem["line"] and REPO in problem["line"]
    assert sorted(report["fetched"]) == sorted(FILES)


def test_unpinned_revision_is_refused(tmp_path: Path) -> None:
    manifest = make_manifest(FILES, [Source(kind="huggingface", location=REPO)])
    with pytest.raises(DataError, match="pins no revision"):
        download_suite(Suite(manifest, tmp_path / "suite"), options=DownloadOptions(retries=0))
