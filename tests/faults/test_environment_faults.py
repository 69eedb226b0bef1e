"""Item 4: every fault of the environment or the input is one line naming the path or value and the fix, a non-zero
exit, and nothing already scored or created is lost."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from a2bench.store import STORE_FILE
from a2bench.video.io import write_png, write_video
from tests.cli_helpers import assert_clean_failure, run_cli
from tests.faults.conftest import ReadOnly, frames


def _cuda_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


@pytest.mark.parametrize("device", ["tpu", "cuda", "cuda:3"])
def test_unusable_devices(device: str, folders: tuple[Path, Path]) -> None:
    pred, gt = folders
    result = run_cli("evaluate", "--pred", pred, "--gt", gt, "--metrics", "psnr", "--device", device)
    count = _cuda_count()
    if device == "tpu":
        assert_clean_failure(result, "unknown device 'tpu'", "auto, cpu, cuda or cuda:N")
    elif count == 0:
        assert_clean_failure(result, f"--device {device}: no CUDA GPU", "use --device cpu")
    elif count <= 3:
        assert_clean_failure(result, f"this machine has {count} GPU(s)")
    else:
        pytest.skip(f"this machine has {count} GPUs: {device} exists")


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def test_read_only_run_folder_is_refused_before_scoring_and_keeps_its_results(folders: tuple[Path, Path],
                                                                             tmp_path: Path,
                                                                             read_only: ReadOnly) -> None:
    pred, gt = folders
    run = tmp_path / "run"
    assert run_cli("evaluate", "--pred", pred, "--gt", gt, "--metrics", "psnr", "--out", run).returncode == 0
    before = _digest(run)
    read_only(run)
    assert_clean_failure(run_cli("evaluate", "--pred", pred, "--gt", gt, "--metrics", "psnr", "--out", run,
                                 "--method", "second"), str(run), "not writable", "--out")
    assert_clean_failure(run_cli("demo", "--out", run), str(run), "not writable", "--out")
    assert _digest(run) == before and set(json.loads((run / "results.json").read_text())["methods"]) == {"pred"}


@pytest.mark.parametrize("command", [
    ["evaluate", "--pred", "PRED", "--suite", "synth-mini", "--metrics", "psnr"],
    ["generate", "--suite", "synth-mini", "--method", "static", "--out", "OUT"],
    ["run", "--suite", "synth-mini", "--methods", "static", "--out", "OUT"],
    ["data", "verify", "synth-mini"],
])
def test_a_suite_that_is_not_present_is_named_with_the_command_that_fetches_it(command: list[str],
                                                                               folders: tuple[Path, Path],
                                                                               tmp_path: Path) -> None:
    words = [{"PRED": str(folders[0]), "OUT": str(tmp_path / "run")}.get(word, word) for word in command]
    root = tmp_path / "empty-root"
    root.mkdir()
    assert_clean_failure(run_cli(*words, "--root", root), f"{root / 'synth-mini'}: suite synth-mini is not present",
                         "a2bench data download synth-mini")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(("where", "words"), [("pred", "is the --pred folder"), ("gt", "is the --gt folder"),
                                             ("pred/run", "is inside the --pred folder")])
def test_an_out_folder_among_the_inputs_is_refused(where: str, words: str, folders: tuple[Path, Path]) -> None:
    pred, gt = folders
    inputs = {"pred": pred, "gt": gt}
    first, _, rest = where.partition("/")
    out = inputs[first] / rest if rest else inputs[first]
    before = {name: _files(folder) for name, folder in inputs.items()}
    assert_clean_failure(run_cli("evaluate", "--pred", pred, "--gt", gt, "--metrics", "psnr", "--out", out),
                         words, "pass a folder outside")
    assert {name: _files(folder) for name, folder in inputs.items()} == before


def _files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.mark.parametrize("at_rest", ["as a2bench leaves it", "in WAL mode (older a2bench)"])
def test_report_and_compare_only_read_a_run_in_a_read_only_folder(at_rest: str, folders: tuple[Path, Path],
                                                                   tmp_path: Path, read_only: ReadOnly) -> None:
    pred, gt = folders
    run = tmp_path / "run"
    assert run_cli("evaluate", "--pred", pred, "--gt", gt, "--metrics", "psnr", "--out", run).returncode == 0
    if at_rest != "as a2bench leaves it":
        sqlite3.connect(run / STORE_FILE).execute("PRAGMA journal_mode=WAL").fetchone()
    before = _files(run)
    read_only(run)
    report = run_cli("report", run, "--csv", tmp_path / "table.csv", "--markdown", tmp_path / "table.md")
    assert report.returncode == 0, report.stderr
    assert "pred" in (tmp_path / "table.csv").read_text()
    gate = run_cli("compare", run, run, "--junit", tmp_path / "gate.xml")
    assert gate.returncode == 0, gate.stderr
    assert _files(run) == before


def test_a_read_only_run_with_an_unreadable_write_ahead_log_is_refused_by_name(
        folders: tuple[Path, Path], tmp_path: Path, read_only: ReadOnly) -> None:
    pred, gt = folders
    run = tmp_path / "run"
    assert run_cli("evaluate", "--pred", pred, "--gt", gt, "--metrics", "psnr", "--out", run).returncode == 0
    killed = ("import os, sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute('PRAGMA journal_mode=WAL'); "
              "db.execute('PRAGMA wal_autocheckpoint=0'); db.execute('CREATE TABLE unfinished (x)'); "
              "db.commit(); os._exit(0)")
    subprocess.run([sys.executable, "-c", killed, str(run / STORE_FILE)], check=True)
    assert (run / f"{STORE_FILE}-wal").stat().st_size > 0
    (run / f"{STORE_FILE}-shm").unlink()  # e.g. copied without it: SQLite can't read the log read-only
    read_only(run)
    assert_clean_failure(run_cli("report", run, "--csv", tmp_path / "table.csv"), str(run / STORE_FILE),
                         "read-only", "killed a2bench", "copy the run directory")
    assert not (tmp_path / "table.csv").exists()


@pytest.mark.parametrize("fault", ["read-only", "a folder", "under a file"])
def test_unwritable_json(fault: str, folders: tuple[Path, Path], tmp_path: Path, read_only: ReadOnly) -> None:
    pred, gt = folders
    target = {"read-only": tmp_path / "locked" / "r.json", "a folder": tmp_path / "adir",
              "under a file": tmp_path / "file" / "r.json"}[fault]
    if fault == "read-only":
        target.parent.mkdir()
        read_only(target.parent)
    elif fault == "a folder":
        target.mkdir()
    else:
        target.parent.write_text("a file")
    expected = {"read-only": "not writable", "a folder": "is a folder", "under a file": "is a file"}[fault]
    assert_clean_failure(run_cli("evaluate", "--pred", pred, "--gt", gt, "--metrics", "psnr", "--json", target),
                         expected, "--json")


@pytest.mark.parametrize("fault", ["a file", "under a file"])
def test_unusable_out_folder(fault: str, folders: tuple[Path, Path], tmp_path: Path) -> None:
    pred, gt = folders
    blocker = tmp_path / "blocker"
    blocker.write_text("a file")
    target = blocker if fault == "a file" else blocker / "run"
    assert_clean_failure(run_cli("evaluate", "--pred", pred, "--gt", gt, "--metrics", "psnr", "--out", target),
                         str(target), "--out")
    assert blocker.read_text() == "a file"


@pytest.mark.parametrize("fault", ["read-only", "under a file"])
def test_unusable_cache_dir(fault: str, folders: tuple[Path, Path], tmp_path: Path, read_only: ReadOnly) -> None:
    pred, gt = folders
    if fault == "read-only":
        target = tmp_path / "cache"
        target.mkdir()
        read_only(target)
    else:
        (tmp_path / "file").write_text("a file")
        target = tmp_path / "file" / "cache"
    assert_clean_failure(run_cli("evaluate", "--pred", pred, "--gt", gt, "--metrics", "psnr", "--cache-dir", target),
                         "--cache-dir")


@pytest.mark.parametrize("fault", ["read-only", "a file", "under a file"])
def test_unusable_init_random_dir(fault: str, tmp_path: Path, read_only: ReadOnly) -> None:
    target = tmp_path / "weights"
    if fault == "read-only":
        target.mkdir()
        read_only(target)
    elif fault == "a file":
        target.write_text("a file")
    else:
        (tmp_path / "file").write_text("a file")
        target = tmp_path / "file" / "weights"
    assert_clean_failure(run_cli("weights", "init-random", "--dir", target, "--only", "i3d-kinetics400"), "--dir")
    assert not (target.is_dir() and any(target.iterdir()))


def test_data_root_pointing_at_a_file(tmp_path: Path) -> None:
    root = tmp_path / "data.txt"
    root.write_text("not a folder")
    for command in (["suites", "list"], ["data", "status"], ["data", "verify", "synth-mini"]):
        assert_clean_failure(run_cli(*command, data_root=root), str(root), "$A2BENCH_DATA", "is a file")


def _case_folders(source: Path, names: tuple[str, ...]) -> Path:
    for index, name in enumerate(names):
        write_png(source / name / "reference.png", frames(index, t=1)[0])
        write_video(source / name / "video.mp4", frames(index, t=4))
    return source


@pytest.mark.parametrize("name", ["a/b", "..", "my suite", "[red]x[/red]", "<b>x</b>"])
def test_unsafe_custom_suite_names(name: str, tmp_path: Path) -> None:
    root = tmp_path / "root"
    result = run_cli("data", "import", "custom", name, "--from", tmp_path, "--root", root)
    assert_clean_failure(result, "custom suite name", "letters (any script)")
    assert not root.exists()


def test_case_folder_names_safe_non_ascii_accepted_markup_refused(tmp_path: Path) -> None:
    source, root = _case_folders(tmp_path / "copy", ("角色01", "Zoë-2")), tmp_path / "root"
    imported = run_cli("data", "import", "custom", "Figuren-ä", "--from", source, "--root", root)
    assert imported.returncode == 0, imported.stderr
    listing = run_cli("suites", "list", "--root", root)
    assert "Figuren-ä" in listing.stdout and "2 cases" in listing.stdout

    bad = _case_folders(tmp_path / "bad", ("[bold]x", "fine"))
    result = run_cli("data", "import", "custom", "other", "--from", bad, "--root", root)
    assert_clean_failure(result, str(bad / "[bold]x"), "case id", "'['")
    assert "validation" not in result.stderr and "Value error" not in result.stderr


def test_symlink_loops_are_named_as_such(folders: tuple[Path, Path], tmp_path: Path) -> None:
    pred, gt = folders
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    assert_clean_failure(run_cli("evaluate", "--pred", loop, "--gt", gt), str(loop), "symlink loop")
    inner = pred / "clip_c"
    inner.symlink_to(inner)
    result = run_cli("evaluate", "--pred", pred, "--gt", gt)
    assert_clean_failure(result, str(inner), "symlink loop")
    assert "no videos" not in result.stderr


def test_a_broken_lock_file_does_not_hide_the_other_suites(tmp_path: Path) -> None:
    root = tmp_path / "root"
    source = _case_folders(tmp_path / "copy", ("c1",))
    assert run_cli("data", "import", "custom", "good", "--from", source, "--root", root).returncode == 0
    (root / "bad").mkdir()
    (root / "bad" / "suite.lock.json").write_text('{"suite": "bad", "cases": [')
    listing = run_cli("suites", "list", "--root", root)
    assert listing.returncode == 0, listing.stderr
    assert "good local-1: 1 cases" in listing.stdout and "synth-mini" in listing.stdout
    assert "bad: broken import" in listing.stdout and "not valid JSON" in listing.stdout
    status = run_cli("data", "status", "--root", root)
    assert status.returncode == 0, status.stderr
    assert "good" in status.stdout and "bad: broken import" in status.stdout
    assert_clean_failure(run_cli("data", "verify", "bad", "--root", root), "not valid JSON")


def test_usage_errors_are_usage_messages_not_tracebacks(folders: tuple[Path, Path]) -> None:
    pred, _ = folders
    missing = run_cli("evaluate", "--pred", pred)
    assert missing.returncode == 1 and "pass either --gt DIR or --suite NAME" in missing.stderr
    for args, message in ((["evaluate"], "Missing option '--pred'"), (["evaluate", "--pred", pred, "--bogus"],
                                                                    "No such option: --bogus")):
        result = run_cli(*args)
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_read_only_data_root_is_refused_before_anything_is_written(tmp_path: Path, read_only: ReadOnly) -> None:
    source = _case_folders(tmp_path / "copy", ("c1",))
    root = tmp_path / "root"
    root.mkdir()
    read_only(root)
    assert_clean_failure(run_cli("data", "download", "synth-mini", "--root", root), str(root / "synth-mini"),
                         "--root (or $A2BENCH_DATA)")
    assert_clean_failure(run_cli("data", "import", "custom", "mine", "--from", source, "--root", root), str(root),
                         "not writable", "--root (or $A2BENCH_DATA)")


def test_unwritable_scratch_folder_for_worker_processes(folders: tuple[Path, Path], tmp_path: Path,
                                                        read_only: ReadOnly) -> None:
    """$TMPDIR chooses where the worker processes hand arrays over; an unwritable one is one error line naming it
    and the way out, before anything is scored; with --workers 0 no scratch folder is needed."""
    pred, gt = folders
    (tmp_path / "scratch").mkdir()
    scratch = read_only(tmp_path / "scratch")
    result = run_cli("evaluate", "--pred", pred, "--gt", gt, "--metrics", "psnr", "--workers", "1", "--out",
                     tmp_path / "run", env={"TMPDIR": str(scratch)})
    assert_clean_failure(result, str(scratch), "scratch folder", "$TMPDIR", "--workers 0")
    assert run_cli("evaluate", "--pred", pred, "--gt", gt, "--metrics", "psnr", "--workers", "0", "--out",
                   tmp_path / "run", env={"TMPDIR": str(scratch)}).returncode == 0


def test_small_ram_disk_is_passed_over_and_a_full_scratch_folder_is_named(monkeypatch: pytest.MonkeyPatch,
                                                                         tmp_path: Path) -> None:
    """Docker's default 64 MB /dev/shm would fill with the first A²Bench case in flight: the system temporary
    folder is used instead. A scratch folder that fills up is an error naming it, and no partial file stays."""
    import errno
    from types import SimpleNamespace

    import numpy as np

    from a2bench import casework, scratch
    from a2bench.errors import A2BenchError

    monkeypatch.delenv("TMPDIR", raising=False)
    docker_shm = SimpleNamespace(total=2**26, used=2**20, free=2**26 - 2**20)
    monkeypatch.setattr(scratch.shutil, "disk_usage", lambda _: docker_shm)
    assert scratch.scratch_root() is None
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    assert scratch.scratch_root() == str(tmp_path)

    def full(path: Path, *_: object, **__: object) -> None:
        Path(path).write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(scratch.np, "save", full)
    with casework.HostPool(1) as pool:
        with pytest.raises(A2BenchError, match="No space left on device") as caught:
            pool.share({"rows": np.ones((4, 3))})
        assert not list(tmp_path.rglob("*.npy"))
    assert "--workers 0" in caught.value.line() and str(tmp_path) in caught.value.line()


def test_a_killed_runs_scratch_folder_is_removed_by_the_next_run(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    """A run killed outright cannot clean up: the next pool removes the scratch folders whose owner's lock is
    free. A live run's folder, a folder without the lock file (not a2bench's) and a link are left alone."""
    import fcntl

    from a2bench.scratch import LOCK_NAME, PREFIX, ScratchFolder

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    live = ScratchFolder()
    abandoned = tmp_path / f"{PREFIX}killed"
    abandoned.mkdir()
    (abandoned / LOCK_NAME).touch()  # its owner died: nobody holds the lock
    (abandoned / "1234-5.npy").write_bytes(b"rows of a killed run")
    foreign = tmp_path / f"{PREFIX}other-program"
    foreign.mkdir()
    linked = tmp_path / f"{PREFIX}link"
    linked.symlink_to(abandoned, target_is_directory=True)
    with open(live.path / LOCK_NAME, "rb") as probe, pytest.raises(BlockingIOError):  # the live folder's lock is held
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
    fresh = ScratchFolder()
    assert not abandoned.exists()
    assert live.path.is_dir() and foreign.is_dir() and linked.is_symlink()
    assert not any(path.name.startswith(LOCK_NAME + ".") for path in fresh.path.iterdir())
    fresh.close()
    live.close()
    assert not fresh.path.exists() and not live.path.exists()
