"""Safe archive extraction: good archives land whole, unsafe or broken ones land nothing and say why."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from a2bench.data.archives import UnsafeArchiveError, is_archive, safe_extract
from a2bench.errors import DataError
from tests.http_fixtures import tar_bytes, zip_bytes

FILES = {"suite/case-a/reference.png": b"png bytes", "suite/case-a/video.mp4": b"mp4 bytes" * 100}


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _nothing_left(tmp_path: Path, dest: Path) -> None:
    """No destination, no staging folder and nothing written next to them."""
    assert not dest.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert not (tmp_path / "evil").exists()


@pytest.mark.parametrize(("name", "mode"), [("a.tar", "w"), ("a.tar.gz", "w:gz"), ("a.tar.bz2", "w:bz2"),
                                            ("a.tar.xz", "w:xz")])
def test_tar_variants_extract(tmp_path: Path, name: str, mode: str) -> None:
    archive = _write(tmp_path, name, tar_bytes(FILES, mode=mode))
    dest = safe_extract(archive, tmp_path / "out")
    for member, data in FILES.items():
        assert (dest / member).read_bytes() == data


def test_zip_extracts(tmp_path: Path) -> None:
    dest = safe_extract(_write(tmp_path, "a.zip", zip_bytes(FILES)), tmp_path / "out")
    for member, data in FILES.items():
        assert (dest / member).read_bytes() == data


def test_format_is_detected_from_content_when_the_name_says_nothing(tmp_path: Path) -> None:
    dest = safe_extract(_write(tmp_path, "download", zip_bytes(FILES)), tmp_path / "out")
    assert (dest / "suite/case-a/reference.png").read_bytes() == b"png bytes"


def test_symlink_inside_the_archive_is_kept(tmp_path: Path) -> None:
    archive = _write(tmp_path, "a.tar.gz", tar_bytes(FILES, symlinks={"suite/latest": "case-a"}))
    dest = safe_extract(archive, tmp_path / "out")
    assert (dest / "suite/latest").is_symlink()
    assert (dest / "suite/latest/video.mp4").read_bytes() == FILES["suite/case-a/video.mp4"]


@pytest.mark.parametrize("archive_kwargs", [
    {"files": {"../evil": b"x"}},
    {"files": {"/tmp/evil": b"x"}},
    {"files": {"suite/../../evil": b"x"}},
    {"files": {}, "symlinks": {"suite/link": "../../evil"}},
    {"files": {}, "symlinks": {"suite/link": "/etc/passwd"}},
    {"files": {}, "hardlinks": {"suite/link": "../evil"}},
    {"files": {}, "devices": ("suite/null",)},
    {"files": {"suite/link/evil": b"x"}, "symlinks": {"suite/link": "."}},
], ids=["dotdot", "absolute", "nested-dotdot", "symlink-out", "symlink-absolute", "hardlink-out", "device",
        "write-through-link"])
def test_unsafe_tar_entries_are_refused_before_anything_is_written(tmp_path: Path, archive_kwargs: dict) -> None:
    files = archive_kwargs.pop("files")
    archive = _write(tmp_path, "a.tar.gz", tar_bytes({"suite/ok.txt": b"ok", **files}, **archive_kwargs))
    dest = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError) as caught:
        safe_extract(archive, dest)
    assert caught.value.path == archive and caught.value.fix
    _nothing_left(tmp_path, dest)
    assert [p.name for p in tmp_path.iterdir()] == ["a.tar.gz"]


def test_write_through_a_symlink_to_outside_is_refused(tmp_path: Path) -> None:
    archive = _write(tmp_path, "a.tar", tar_bytes({"link/evil": b"x"}, symlinks={"link": ".."}, mode="w"))
    with pytest.raises(UnsafeArchiveError):
        safe_extract(archive, tmp_path / "out")
    _nothing_left(tmp_path, tmp_path / "out")


@pytest.mark.parametrize("archive_kwargs", [
    {"files": {"../evil": b"x"}},
    {"files": {"/evil": b"x"}},
    {"files": {"suite\\..\\..\\evil": b"x"}},
    {"files": {}, "symlinks": {"suite/link": "../../evil"}},
    {"files": {}, "symlinks": {"suite/link": "case-a"}},
], ids=["dotdot", "absolute", "backslashes", "symlink-out", "symlink-in"])
def test_unsafe_zip_entries_are_refused(tmp_path: Path, archive_kwargs: dict) -> None:
    files = archive_kwargs.pop("files")
    archive = _write(tmp_path, "a.zip", zip_bytes({"suite/ok.txt": b"ok", **files}, **archive_kwargs))
    with pytest.raises(UnsafeArchiveError):
        safe_extract(archive, tmp_path / "out")
    _nothing_left(tmp_path, tmp_path / "out")


@pytest.mark.parametrize(("name", "data"), [("a.tar.gz", tar_bytes(FILES)), ("a.zip", zip_bytes(FILES)),
                                            ("a.tar.xz", tar_bytes(FILES, mode="w:xz"))])
def test_truncated_archive_is_a_clear_error(tmp_path: Path, name: str, data: bytes) -> None:
    archive = _write(tmp_path, name, data[: len(data) // 2])
    with pytest.raises(DataError) as caught:
        safe_extract(archive, tmp_path / "out")
    assert "cannot read archive" in caught.value.message and "truncated" in caught.value.fix
    _nothing_left(tmp_path, tmp_path / "out")


def test_missing_archive(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="archive not found"):
        safe_extract(tmp_path / "nope.zip", tmp_path / "out")


def test_existing_destination_gets_new_entries_and_keeps_its_files(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "mine.txt").write_text("mine")
    safe_extract(_write(tmp_path, "a.zip", zip_bytes(FILES)), dest)
    assert (dest / "mine.txt").read_text() == "mine"
    assert (dest / "suite/case-a/reference.png").read_bytes() == b"png bytes"
    assert sorted(p.name for p in dest.iterdir()) == ["mine.txt", "suite"]


def test_a_name_already_taken_is_never_replaced(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    (dest / "suite").mkdir(parents=True)
    (dest / "suite" / "keep.txt").write_text("keep")
    with pytest.raises(DataError, match="would replace 'suite'"):
        safe_extract(_write(tmp_path, "a.zip", zip_bytes(FILES)), dest)
    assert sorted(os.listdir(dest)) == ["suite"] and (dest / "suite" / "keep.txt").read_text() == "keep"
    assert os.listdir(dest / "suite") == ["keep.txt"]


@pytest.mark.parametrize(("name", "expected"), [("x.tar.gz", True), ("X.ZIP", True), ("x.tgz", True),
                                                ("x.tar.xz", True), ("x.mp4", False), ("folder", False)])
def test_is_archive(name: str, expected: bool) -> None:
    assert is_archive(name) is expected
