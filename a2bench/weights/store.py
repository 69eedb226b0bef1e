"""Where weights live, and the sha256 check that every load goes through before `torch.load` sees a byte.

The expected hash of a file comes from, in order: the published full sha256, which nothing in the weights folder
can override; the published prefix (torch-hub names), which a file must start with unless `uncalibrated.json`
lists it as random test weights written by init-random (they cannot match it); the full sha256 pinned on first
use in `weights.lock.json`. A hash is pinned only for a file that holds the network a2bench builds from it
(a2bench.weights.layout), so a random or truncated file is never trusted on first sight.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from a2bench.atomic import atomic_write_json
from a2bench.errors import A2BenchError, WeightsMissing
from a2bench.weights.registry import WEIGHTS, WeightSpec, get_spec, spec_for_file

ENV_VAR = "A2BENCH_WEIGHTS"
LOCK_FILE = "weights.lock.json"
UNCALIBRATED_FILE = "uncalibrated.json"
CHUNK = 1 << 20

Progress = Callable[[int, int | None], None]


class WeightsHashError(A2BenchError):
    """A weights file whose sha256 differs from the published, pinned or recorded one."""


class WeightsUnpinned(WeightsMissing):
    """A weights file nobody publishes a hash for and that no fetch has pinned: it cannot be verified."""


def user_weights_folder() -> Path:
    """The per-user weights cache (~/.cache/a2bench/weights on Linux): the default when $A2BENCH_WEIGHTS is unset."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("a2bench", appauthor=False)) / "weights"


def weights_folder(directory: Path | str | None = None) -> Path:
    """The weights folder: the explicit one, else $A2BENCH_WEIGHTS, else the per-user cache."""
    if directory is not None:
        return Path(directory).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    return user_weights_folder()


def require_test_folder(directory: Path) -> None:
    """Refuse a folder a2bench reads real weights from by default ($A2BENCH_WEIGHTS, the per-user cache) as the
    target of init-random, so random networks never stand in for missing real ones there."""
    if directory.expanduser().resolve() in {weights_folder().resolve(), user_weights_folder().resolve()}:
        raise A2BenchError(f"is where a2bench reads the real weights from (${ENV_VAR} or the per-user cache); "
                           "init-random never writes random ones there", path=directory,
                           fix="pass a folder of its own as --dir, and that folder as --weights-dir to test with it")


def fetch_command(names: str | list[str], directory: Path | str | None = None) -> str:
    """The one command that fetches `names` (one name or several) into `directory` (the default folder when None)."""
    listed = names if isinstance(names, str) else " ".join(names)
    return f"a2bench weights fetch {listed}" + (f" --dir {directory}" if directory is not None else "")


_HASHES: dict[tuple[str, int, int, int], str] = {}


def file_sha256(path: Path, progress: Progress | None = None) -> str:
    """sha256 of a file's bytes; remembered per (path, inode, size, mtime) for the life of the process."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if key not in _HASHES:
        from a2bench.data.hashing import file_sha256 as hash_bytes

        _HASHES[key] = hash_bytes(path, progress)
    return _HASHES[key]


def parse_record(text: str, where: str) -> dict[str, Any]:
    """A weights record (weights.lock.json, uncalibrated.json) from its text; A2BenchError naming `where` (a path
    or URL) when it is not one."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise A2BenchError(f"{where}: unreadable: {exc}", fix="repair or delete it") from None
    if not isinstance(data, dict) or not isinstance(data.get("files", {}), dict):
        raise A2BenchError(f"{where}: not a weights record ('files' mapping missing)", fix="repair or delete it")
    return data


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise A2BenchError(f"unreadable: {exc}", path=path, fix="repair or delete it") from None
    return parse_record(text, str(path))


def pinned(directory: Path) -> dict[str, dict[str, Any]]:
    """The lock file's entries by file name: {'name', 'sha256', 'size', 'source', 'pinned_at'}."""
    return _read_json(directory / LOCK_FILE).get("files", {})


def pin(directory: Path, spec: WeightSpec, sha256: str, size: int, source: str) -> None:
    """Record the sha256 seen at first fetch of `spec` in the lock file."""
    lock = _read_json(directory / LOCK_FILE) or {"version": 1, "files": {}}
    lock["files"][spec.filename] = {"name": spec.name, "sha256": sha256, "size": size, "source": source,
                                    "pinned_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    atomic_write_json(directory / LOCK_FILE, lock, sort_keys=True)


def uncalibrated_files(directory: Path) -> dict[str, dict[str, Any]]:
    """Files written by `a2bench weights init-random` in `directory`, by file name: {'name', 'sha256', 'seed'}."""
    return _read_json(directory / UNCALIBRATED_FILE).get("files", {})


def record_random_files(directory: Path, entries: dict[str, dict[str, Any]]) -> None:
    """Add files written by init-random to the folder's uncalibrated.json (the marker loaders detect)."""
    record = _read_json(directory / UNCALIBRATED_FILE) or {
        "version": 1, "files": {},
        "note": "random-initialised weights written by `a2bench weights init-random`: for testing only; "
                "numbers computed with them are uncalibrated"}
    record["files"].update(entries)
    atomic_write_json(directory / UNCALIBRATED_FILE, record, sort_keys=True)


def forget_random_file(directory: Path, filename: str) -> None:
    """Drop a file from uncalibrated.json (a real copy replaced it); the marker goes when it lists nothing."""
    record = _read_json(directory / UNCALIBRATED_FILE)
    if filename not in record.get("files", {}):
        return
    del record["files"][filename]
    if record["files"]:
        atomic_write_json(directory / UNCALIBRATED_FILE, record, sort_keys=True)
    else:
        (directory / UNCALIBRATED_FILE).unlink()


def _random_copy(spec: WeightSpec, directory: Path, sha256: str) -> bool:
    """True when init-random recorded this very file as random test weights and no published hash contradicts it
    (files with a published full sha256 are never random; a file matching the published prefix is the real one)."""
    if spec.sha256 or (spec.sha256_prefix and sha256.startswith(spec.sha256_prefix)):
        return False
    entry = uncalibrated_files(directory).get(spec.filename)
    return entry is not None and entry.get("sha256") == sha256


def check_hash(spec: WeightSpec, directory: Path, sha256: str, source: str | None = None) -> str:
    """Compare a file's sha256 with what is expected of it (see the module docstring); returns how it matched, as
    a phrase ("matches the published sha256"), and raises on mismatch. With `source` (a URL or path), checks a
    download from there before it replaces anything in `directory`: the init-random record does not apply and
    errors name the source."""
    pin_entry = pinned(directory).get(spec.filename)
    fix = (f"delete it and run `{fetch_command(spec.name, directory)}`" if source is None
           else "the source is corrupt or altered: try again, or another --source")

    def mismatch(message: str) -> WeightsHashError:
        if source is None:
            return WeightsHashError(message, path=directory / spec.filename, fix=fix)
        return WeightsHashError(f"{source}: {message}", fix=fix)  # a URL is no Path

    if spec.sha256:
        if sha256 != spec.sha256:
            raise mismatch(f"sha256 {sha256[:16]}… differs from the published sha256 {spec.sha256[:16]}…")
        return "matches the published sha256"
    if source is None and _random_copy(spec, directory, sha256):
        return "random test weights written by init-random (uncalibrated, not the published network)"
    prefix = spec.sha256_prefix
    if prefix and not sha256.startswith(prefix):
        raise mismatch(f"sha256 {sha256[:16]}… does not start with the published prefix {prefix}")
    if pin_entry is not None:
        if sha256 != pin_entry["sha256"]:
            if source is not None:
                fix = f"if the upstream file changed on purpose, remove its entry from {directory / LOCK_FILE}"
            raise mismatch(f"sha256 {sha256[:16]}… differs from the sha256 pinned on first use in {LOCK_FILE} "
                           f"{pin_entry['sha256'][:16]}…")
        published = f"the published prefix {prefix} and " if prefix else ""
        return f"matches {published}the sha256 pinned on first use ({pin_entry.get('pinned_at', '?')}, not published)"
    if prefix:
        return f"matches the published prefix {prefix}"
    raise WeightsUnpinned(f"no sha256 is published or pinned for {spec.name}, so this copy cannot be verified",
                          path=directory / spec.filename, fix=f"run `a2bench weights verify {spec.name} "
                          f"--dir {directory}` to pin the hash of this copy, or fetch it")


def needs_pin(spec: WeightSpec, directory: Path, sha256: str) -> bool:
    """True for a file whose full sha256 nobody publishes and nothing recorded yet (pinned on first use)."""
    return not (spec.sha256 or spec.filename in pinned(directory) or _random_copy(spec, directory, sha256))


def verify_or_pin(spec: WeightSpec, directory: Path, progress: Progress | None = None) -> tuple[str, bool]:
    """Check a present file; one without a published full sha256 or a pin gets the sha256 seen now pinned, once it
    is shown to hold the expected network. Returns how it was checked and whether it was pinned now."""
    path = directory / spec.filename
    sha256 = file_sha256(path, progress)
    try:
        how = check_hash(spec, directory, sha256)
    except WeightsUnpinned:
        how = "no hash is published for it"
    if not needs_pin(spec, directory, sha256):
        return how, False
    from a2bench.weights.layout import check_loads_as

    check_loads_as(spec, path, fix=f"delete it and run `{fetch_command(spec.name, directory)}`; a hash is pinned "
                                   "only for a file that holds the expected network")
    pin(directory, spec, sha256, path.stat().st_size, f"first seen in place at {path}")
    return (f"{how}; it holds the network a2bench builds from it, so its sha256 {sha256[:16]}… is now pinned on "
            f"first use in {LOCK_FILE}"), True


def resolve(name: str, weights_dir: Path | str | None = None) -> Path:
    """The verified path of the weights `name`; WeightsMissing (with the fetch command) when absent."""
    spec = get_spec(name)
    require_present([name], weights_dir)
    path = weights_folder(weights_dir) / spec.filename
    check_hash(spec, path.parent, file_sha256(path))
    return path


def require_present(names: list[str], weights_dir: Path | str | None = None) -> None:
    """WeightsMissing naming every absent file of `names` and the one command that fetches them all."""
    directory = weights_folder(weights_dir)
    absent = [spec for spec in map(get_spec, names) if not (directory / spec.filename).is_file()]
    if not absent:
        return
    listed = " and ".join(f"'{spec.name}' ({spec.filename})" for spec in absent)
    fix = f"run `{fetch_command([spec.name for spec in absent], weights_dir)}`"
    if len(absent) == 1:
        raise WeightsMissing(f"weights {listed} are not in {directory}", path=directory / absent[0].filename, fix=fix)
    raise WeightsMissing(f"weights {listed} are not in this folder", path=directory, fix=fix)


def verify_path(path: Path) -> str:
    """Check the file at `path` (a registered weights file in some folder) and return its sha256."""
    path = Path(path)
    spec = spec_for_file(path.name)
    if spec is None:
        raise A2BenchError("not a registered weights file", path=path, fix="see `a2bench weights list`")
    if not path.is_file():
        raise WeightsMissing(f"weights '{spec.name}' are missing", path=path,
                             fix=f"run `{fetch_command(spec.name, path.parent)}`")
    sha256 = file_sha256(path)
    check_hash(spec, path.parent, sha256)
    return sha256


def load_checkpoint(path: Path) -> Any:
    """Verify the file's hash, then `torch.load` it with weights_only=True onto the CPU (WeightsNotLoadable naming
    the file when it holds no checkpoint)."""
    from a2bench.weights.layout import read_checkpoint

    verify_path(path)
    spec = spec_for_file(path.name)
    name = spec.name if spec else path.name
    return read_checkpoint(path, fix=f"delete it and run `{fetch_command(name, path.parent)}`")


def is_uncalibrated(name_or_path: str | Path, weights_dir: Path | str | None = None) -> bool:
    """Whether a weights file (registered name, or path) is random test weights written by init-random, as
    check_hash accepts them: numbers from it are not comparable with anything computed with the real weights."""
    if isinstance(name_or_path, str) and name_or_path in WEIGHTS:
        spec, path = WEIGHTS[name_or_path], weights_folder(weights_dir) / WEIGHTS[name_or_path].filename
    else:
        path = Path(name_or_path)
        spec = spec_for_file(path.name)  # type: ignore[assignment]
    return spec is not None and path.is_file() and _random_copy(spec, path.parent, file_sha256(path))
