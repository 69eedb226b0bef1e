"""Verified downloads against a local HTTP server with faults: every run ends correct or with a clear error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from a2bench.data.archives import UnsafeArchiveError
from a2bench.data.download import PARTIAL_DIR, DownloadOptions, download_suite
from a2bench.data.manifest import CaseEntry, FileEntry, Source, dump_manifest
from a2bench.data.status import STATE_FILE, load_state, record_verification
from a2bench.data.suites import LOCK_FILE, Suite
from a2bench.errors import DataError
from tests.cli_helpers import assert_clean_failure, run_cli
from tests.http_fixtures import FileServer, make_manifest, serving, tar_bytes

FAST = DownloadOptions(jobs=4, retries=3, backoff=0.01, timeout=2.0)
BIG = bytes(range(256)) * 2048  # 512 KiB: several chunks arrive before a dropped connection


def _files(count: int = 4) -> dict[str, bytes]:
    return {f"case-{i}/reference.png": f"file {i} ".encode() * (200 + i) for i in range(count)}


def make_suite(tmp_path: Path, files: dict[str, bytes], sources: list[Source] | None = None) -> Suite:
    manifest = make_manifest(files, sources if sources is not None else [Source(kind="https", location="")])
    return Suite(manifest, tmp_path / "data" / manifest.suite)


def serve(server: FileServer, files: dict[str, bytes], *faults: str, ranges: bool = True) -> None:
    for path, data in files.items():
        server.add(f"/mirror/{path}", data, *faults, ranges=ranges)


def assert_in_place(suite: Suite, files: dict[str, bytes]) -> None:
    for path, data in files.items():
        assert (suite.folder / path).read_bytes() == data
    assert not (suite.folder / PARTIAL_DIR).exists()
    assert suite.verify(full=True) == []


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FileServer]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with serving(stall=2.0, slow_pause=0.05) as running:
        yield running


def test_downloads_every_file_in_parallel_and_verifies(tmp_path: Path, server: FileServer) -> None:
    files = _files(6)
    serve(server, files)
    suite = make_suite(tmp_path, files)
    settled: list[str] = []
    report = download_suite(suite, f"{server.url}/mirror/", FAST, on_file=settled.append)
    assert report.ok and sorted(report.fetched) == sorted(files) and report.kept == []
    assert sorted(settled) == sorted(files)
    assert_in_place(suite, files)


def test_manifest_https_source_and_second_run_keeps_files(tmp_path: Path, server: FileServer) -> None:
    files = _files()
    serve(server, files)
    suite = make_suite(tmp_path, files, [Source(kind="https", location=f"{server.url}/mirror")])
    assert download_suite(suite, options=FAST).ok
    before = len(server.requests)
    again = download_suite(suite, options=FAST)
    assert again.ok and sorted(again.kept) == sorted(files) and again.fetched == []
    assert len(server.requests) == before
    assert_in_place(suite, files)


def test_dropped_connection_is_resumed_with_range(tmp_path: Path, server: FileServer) -> None:
    files = {"big/video.mp4": BIG}
    serve(server, files, "drop")
    suite = make_suite(tmp_path, files)
    assert download_suite(suite, server.url + "/mirror", FAST).ok
    first, second = server.gets("/mirror/big/video.mp4")
    assert first.range is None
    assert second.range is not None and 0 < int(second.range[len("bytes="):-1]) <= len(BIG) // 2
    assert_in_place(suite, files)


def test_connection_closed_early_without_length_is_resumed(tmp_path: Path, server: FileServer) -> None:
    files = {"big/video.mp4": BIG}
    serve(server, files, "short")
    suite = make_suite(tmp_path, files)
    assert download_suite(suite, server.url + "/mirror", FAST).ok
    assert [r.range for r in server.gets("/mirror/big/video.mp4")] == [None, f"bytes={len(BIG) // 2}-"]
    assert_in_place(suite, files)


def test_part_file_from_an_earlier_run_is_resumed(tmp_path: Path, server: FileServer) -> None:
    files = {"big/video.mp4": BIG}
    serve(server, files)
    suite = make_suite(tmp_path, files)
    part = suite.folder / PARTIAL_DIR / "big/video.mp4.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(BIG[:1000])
    assert download_suite(suite, server.url + "/mirror", FAST).ok
    assert [r.range for r in server.gets("/mirror/big/video.mp4")] == ["bytes=1000-"]
    assert_in_place(suite, files)


def test_server_ignoring_range_restarts_cleanly(tmp_path: Path, server: FileServer) -> None:
    files = {"big/video.mp4": BIG}
    serve(server, files, "drop", ranges=False)
    suite = make_suite(tmp_path, files)
    assert download_suite(suite, server.url + "/mirror", FAST).ok
    assert server.gets("/mirror/big/video.mp4")[-1].range is not None
    assert_in_place(suite, files)


def test_wrong_bytes_are_downloaded_again(tmp_path: Path, server: FileServer) -> None:
    files = _files(2)
    serve(server, files, "wrong")
    suite = make_suite(tmp_path, files)
    assert download_suite(suite, server.url + "/mirror", FAST).ok
    assert all(len(server.gets(f"/mirror/{path}")) == 2 for path in files)
    assert_in_place(suite, files)


def test_wrong_bytes_every_time_end_in_a_clear_error_and_no_file(tmp_path: Path, server: FileServer) -> None:
    files = _files(2)
    serve(server, files, *["wrong"] * 10)
    suite = make_suite(tmp_path, files)
    report = download_suite(suite, server.url + "/mirror", FAST)
    assert len(report.problems) == 2 and report.fetched == []
    problem = report.problems[0]
    assert "sha256" in problem.message and "4 attempts" in problem.message and problem.fix
    assert problem.path is not None and problem.path.is_relative_to(suite.folder)
    assert not any(p.is_file() for p in suite.folder.rglob("*"))


def test_not_found_is_reported_at_once_and_other_files_still_arrive(tmp_path: Path, server: FileServer) -> None:
    files = _files(3)
    missing = "case-0/reference.png"
    serve(server, {p: d for p, d in files.items() if p != missing})
    suite = make_suite(tmp_path, files)
    report = download_suite(suite, server.url + "/mirror", FAST)
    assert sorted(report.fetched) == sorted(set(files) - {missing})
    (problem,) = report.problems
    assert "not found" in problem.message and "HTTP 404" in problem.message
    assert problem.path == suite.folder / missing
    assert len(server.gets(f"/mirror/{missing}")) == 1
    assert not (suite.folder / missing).exists()


def test_server_errors_are_retried(tmp_path: Path, server: FileServer) -> None:
    files = _files(2)
    serve(server, files, "error", "error")
    suite = make_suite(tmp_path, files)
    assert download_suite(suite, server.url + "/mirror", FAST).ok
    assert all(len(server.gets(f"/mirror/{path}")) == 3 for path in files)
    assert_in_place(suite, files)


def test_persistent_server_errors_give_up_with_the_status(tmp_path: Path, server: FileServer) -> None:
    files = _files(1)
    serve(server, files, *["error"] * 10)
    suite = make_suite(tmp_path, files)
    (problem,) = download_suite(suite, server.url + "/mirror", FAST).problems
    assert "HTTP 500" in problem.message
    assert not (suite.folder / next(iter(files))).exists()


def test_slow_server_within_the_timeout_succeeds(tmp_path: Path, server: FileServer) -> None:
    files = {"big/video.mp4": BIG}
    serve(server, files, "slow")
    suite = make_suite(tmp_path, files)
    options = DownloadOptions(jobs=1, retries=0, timeout=0.5)
    assert download_suite(suite, server.url + "/mirror", options).ok
    assert len(server.gets("/mirror/big/video.mp4")) == 1
    assert_in_place(suite, files)


def test_stalled_server_times_out_and_is_retried(tmp_path: Path, server: FileServer) -> None:
    files = _files(1)
    serve(server, files, "stall")
    suite = make_suite(tmp_path, files)
    options = DownloadOptions(jobs=1, retries=2, backoff=0.01, timeout=0.3)
    assert download_suite(suite, server.url + "/mirror", options).ok
    assert len(server.gets(f"/mirror/{next(iter(files))}")) == 2
    assert_in_place(suite, files)


def test_matching_file_is_kept_and_a_different_one_is_never_overwritten(tmp_path: Path, server: FileServer) -> None:
    files = _files(3)
    serve(server, files)
    suite = make_suite(tmp_path, files)
    kept, mine = sorted(files)[:2]
    for path, data in ((kept, files[kept]), (mine, b"my own file")):
        (suite.folder / path).parent.mkdir(parents=True)
        (suite.folder / path).write_bytes(data)
    report = download_suite(suite, server.url + "/mirror", FAST)
    assert report.kept == [kept] and report.fetched == [sorted(files)[2]]
    (problem,) = report.problems
    assert problem.path == suite.folder / mine
    assert "not overwritten" in problem.message and "move it away" in problem.fix
    assert (suite.folder / mine).read_bytes() == b"my own file"
    assert server.gets(f"/mirror/{kept}") == [] and server.gets(f"/mirror/{mine}") == []


def test_local_folder_mirror_is_copied_and_checked(tmp_path: Path) -> None:
    files = _files(3)
    mirror = tmp_path / "mirror"
    for path, data in files.items():
        (mirror / path).parent.mkdir(parents=True, exist_ok=True)
        (mirror / path).write_bytes(data)
    altered = sorted(files)[0]
    (mirror / altered).write_bytes(b"altered")
    suite = make_suite(tmp_path, files)
    report = download_suite(suite, str(mirror), FAST)
    (problem,) = report.problems
    assert problem.path == mirror / altered and "differs from the manifest" in problem.message
    assert not (suite.folder / altered).exists() and len(report.fetched) == 2
    assert (mirror / altered).read_bytes() == b"altered"


def test_archive_source_over_http_is_extracted_and_verified(tmp_path: Path, server: FileServer) -> None:
    files = _files(3)
    url = server.add("/suite.tar.gz", tar_bytes({f"web-mini/{path}": data for path, data in files.items()}))
    suite = make_suite(tmp_path, files, [Source(kind="archive", location=url)])
    assert download_suite(suite, options=FAST).ok
    assert_in_place(suite, files)


def test_local_archive_as_source(tmp_path: Path) -> None:
    files = _files(2)
    archive = tmp_path / "copy.tar.gz"
    archive.write_bytes(tar_bytes(files))
    suite = make_suite(tmp_path, files)
    assert download_suite(suite, str(archive), FAST).ok
    assert_in_place(suite, files)
    assert archive.exists()


def test_truncated_archive_is_a_clear_error_and_leaves_nothing(tmp_path: Path, server: FileServer) -> None:
    files = _files(3)
    whole = tar_bytes(files)
    url = server.add("/suite.tar.gz", whole[: len(whole) // 2])
    suite = make_suite(tmp_path, files, [Source(kind="archive", location=url)])
    with pytest.raises(DataError) as caught:
        download_suite(suite, options=FAST)
    assert "cannot read archive" in caught.value.message and "truncated" in caught.value.fix
    assert not any(p.is_file() for p in suite.folder.rglob("*"))
    assert not (suite.folder / PARTIAL_DIR).exists()


def test_archive_with_path_traversal_is_refused(tmp_path: Path, server: FileServer) -> None:
    files = _files(1)
    url = server.add("/suite.tar.gz", tar_bytes({**files, "../../evil": b"x"}))
    suite = make_suite(tmp_path, files, [Source(kind="archive", location=url)])
    with pytest.raises(UnsafeArchiveError):
        download_suite(suite, options=FAST)
    assert not (tmp_path / "evil").exists() and not (tmp_path / "data" / "evil").exists()
    assert not any(p.is_file() for p in suite.folder.rglob("*"))


def test_archive_with_escaping_symlink_is_refused(tmp_path: Path, server: FileServer) -> None:
    files = _files(1)
    url = server.add("/suite.tar.gz", tar_bytes(files, symlinks={"case-0/escape": "../../../.."}))
    suite = make_suite(tmp_path, files, [Source(kind="archive", location=url)])
    with pytest.raises(UnsafeArchiveError, match="leaves the archive"):
        download_suite(suite, options=FAST)
    assert not any(p.is_file() for p in suite.folder.rglob("*"))


def test_suite_without_a_download_source_says_how_to_get_it(tmp_path: Path) -> None:
    files = _files(1)
    suite = make_suite(tmp_path, files, [Source(kind="local", location="/somewhere")])
    with pytest.raises(DataError) as caught:
        download_suite(suite, options=FAST)
    assert "nothing to download" in caught.value.message and "--source" in caught.value.fix


def test_source_that_is_neither_folder_archive_nor_url(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not a folder, an archive or an http"):
        download_suite(make_suite(tmp_path, _files(1)), str(tmp_path / "nowhere"), FAST)


def test_content_hashes_cannot_be_downloaded(tmp_path: Path) -> None:
    entry = FileEntry(path="c/reference.png", sha256="0" * 64, hash="content")
    manifest = make_manifest({}, [Source(kind="https", location="http://127.0.0.1:9")]).model_copy(
        update={"cases": [CaseEntry(id="c", files={"reference": entry})]})
    with pytest.raises(DataError, match="downloads verify file hashes"):
        download_suite(Suite(manifest, tmp_path / "s"), options=FAST)


def _lock_suite(root: Path, files: dict[str, bytes], url: str) -> None:
    """Make a suite known to the CLI through a lock manifest in its folder."""
    folder = root / "web-mini"
    folder.mkdir(parents=True)
    (folder / LOCK_FILE).write_text(dump_manifest(make_manifest(files, [Source(kind="https", location=url)])))


def test_cli_download_then_status(tmp_path: Path, server: FileServer) -> None:
    files = _files(3)
    serve(server, files)
    root = tmp_path / "root"
    _lock_suite(root, files, "http://127.0.0.1:9/unused")
    result = run_cli("data", "download", "web-mini", "--source", f"{server.url}/mirror", "--jobs", "2", "--quiet",
                     "--root", root, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "3 file(s) downloaded" in result.stdout
    state = load_state(root)
    assert state["web-mini"].ok and state["web-mini"].mode == "full"
    status = run_cli("data", "status", "--root", root, timeout=60)
    assert status.returncode == 0, status.stderr
    line = next(line for line in status.stdout.splitlines() if "web-mini" in line)
    assert "yes" in line and "(full)" in line and "ok" in line
    assert json.loads((root / ".a2bench-state.json").read_text())["suites"]["web-mini"]["problems"] == 0


def test_cli_download_failure_is_one_clear_error(tmp_path: Path, server: FileServer) -> None:
    files = _files(2)
    root = tmp_path / "root"
    _lock_suite(root, files, f"{server.url}/absent")
    result = run_cli("data", "download", "web-mini", "--quiet", "--root", root, timeout=60)
    assert_clean_failure(result, "not found", "HTTP 404", "2 of 2 file(s) not in place")


def test_state_file_records_verifications_and_replaces_a_corrupt_one(tmp_path: Path) -> None:
    suite = make_suite(tmp_path, _files(1))
    suite.folder.mkdir(parents=True)
    state = suite.folder.parent / STATE_FILE
    state.write_text("{not json")
    with pytest.raises(DataError, match="cannot read the state file"):
        load_state(suite.folder.parent)
    record_verification(suite, full=False, problems=2)
    (entry,) = load_state(suite.folder.parent).values()
    assert entry.mode == "fast" and not entry.ok and entry.fingerprint == suite.manifest.fingerprint()
    assert sorted(p.name for p in suite.folder.parent.iterdir()) == sorted([STATE_FILE, suite.name])
