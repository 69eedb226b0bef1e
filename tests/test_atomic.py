"""The one atomic-write helper: whole files or nothing, readable modes, cleanup, and a writer killed mid-write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from a2bench.atomic import TEMP_MARK, atomic_folder, atomic_write, atomic_write_json, remove_leftovers


def test_writes_bytes_text_and_streams_with_the_usual_mode(tmp_path: Path) -> None:
    atomic_write(tmp_path / "a.bin", b"\x00\x01")
    atomic_write(tmp_path / "sub" / "b.txt", "héllo")
    atomic_write(tmp_path / "c.bin", lambda stream: stream.write(b"streamed"))
    atomic_write_json(tmp_path / "d.json", {"ü": 1})
    assert (tmp_path / "a.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "sub" / "b.txt").read_text(encoding="utf-8") == "héllo"
    assert (tmp_path / "c.bin").read_bytes() == b"streamed"
    assert (tmp_path / "d.json").read_text(encoding="utf-8") == '{\n  "ü": 1\n}\n'
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "a.bin").stat().st_mode & 0o777 == 0o666 & ~umask
    assert not [p for p in tmp_path.rglob("*") if TEMP_MARK in p.name]


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "results.json"
    target.write_text("old")

    def fail(stream: object) -> None:
        stream.write(b"half")  # type: ignore[attr-defined]
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, fail)
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]


def test_folders_are_renamed_into_place_whole_and_never_over_foreign_ones(tmp_path: Path) -> None:
    with atomic_folder(tmp_path / "frames") as staging:
        (staging / "00000.png").write_bytes(b"x")
    assert (tmp_path / "frames" / "00000.png").exists()
    with pytest.raises(FileExistsError), atomic_folder(tmp_path / "frames") as staging:
        (staging / "new").write_bytes(b"y")
    assert not (tmp_path / "frames" / "new").exists()
    with pytest.raises(ValueError), atomic_folder(tmp_path / "other") as staging:
        raise ValueError("killed halfway")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames"]


WRITER = """
import sys, time
from a2bench.atomic import atomic_write

def slow(stream):
    for _ in range(400):
        stream.write(b"x" * 65536)
        stream.flush()
        time.sleep(0.01)

print("writing", flush=True)
atomic_write(sys.argv[1], slow)
"""


def test_a_writer_killed_mid_write_leaves_the_old_file_and_a_leftover_that_is_cleaned(tmp_path: Path) -> None:
    target = tmp_path / "big.bin"
    target.write_bytes(b"old")
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline().strip() == b"writing"
    deadline = time.monotonic() + 30
    while not [p for p in tmp_path.iterdir() if TEMP_MARK in p.name and p.stat().st_size > 0]:
        assert time.monotonic() < deadline, "the writer never started writing"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert target.read_bytes() == b"old"
    leftovers = [p for p in tmp_path.iterdir() if TEMP_MARK in p.name]
    assert len(leftovers) == 1
    assert remove_leftovers(tmp_path) == leftovers and list(tmp_path.iterdir()) == [target]
