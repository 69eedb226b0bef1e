"""Fetch weights into a folder: HTTP download (or a mirror folder/URL, or the installed lpips package), hashed
while written, checked, then moved into place atomically. Unpublished hashes are pinned at first fetch; files an
uncalibrated.json lists as random test weights are refused, never trusted."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from a2bench.errors import A2BenchError
from a2bench.weights.registry import WeightSpec
from a2bench.weights.store import (
    CHUNK,
    LOCK_FILE,
    UNCALIBRATED_FILE,
    Progress,
    WeightsHashError,
    WeightsUnpinned,
    check_hash,
    file_sha256,
    forget_random_file,
    parse_record,
    pin,
    pinned,
    uncalibrated_files,
    verify_or_pin,
)

TIMEOUT = (15, 60)  # seconds to connect, seconds between bytes


class FetchError(A2BenchError):
    """A weights file that could not be downloaded or copied."""


@dataclass(frozen=True)
class FetchOutcome:
    """What fetching one file did: 'present' (already there and verified) or 'fetched' from `source`."""

    name: str
    path: Path
    sha256: str
    status: str
    source: str
    pinned: bool = False


def _chunks_from_file(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        yield from iter(lambda: handle.read(CHUNK), b"")


def _write(chunks: Iterable[bytes], target: Path, total: int | None, progress: Progress | None) -> None:
    done = 0
    with open(target, "wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)


def _download(url: str, target: Path, total: int | None, progress: Progress | None) -> None:
    import requests

    try:
        with requests.get(url, stream=True, timeout=TIMEOUT) as response:
            response.raise_for_status()
            length = response.headers.get("Content-Length")
            _write(response.iter_content(CHUNK), target, int(length) if length else total, progress)
    except requests.RequestException as exc:
        raise FetchError(f"download of {url} failed: {exc}",
                         fix="check the network, or copy the file from a machine that has it and use "
                             "`--source DIR`") from None


def source_of(spec: WeightSpec, source: str | None) -> str:
    """Where `spec` will be fetched from: the lpips package, a mirror folder or URL, or its own URL."""
    if spec.package_file:
        package, inner = spec.package_file
        return str(resources.files(package).joinpath(inner))
    if source is None:
        return spec.url
    if source.startswith(("http://", "https://")):
        return source.rstrip("/") + "/" + spec.filename
    return str(Path(source).expanduser() / spec.filename)


def _transfer(origin: str, target: Path, total: int | None, progress: Progress | None) -> None:
    if origin.startswith(("http://", "https://")):
        _download(origin, target, total, progress)
        return
    path = Path(origin)
    if not path.is_file():
        raise FetchError("no such file in the mirror", path=path, fix="check --source, or fetch without it")
    _write(_chunks_from_file(path), target, path.stat().st_size, progress)


_RANDOM_SOURCE_FIX = ("fetch the real file (from a mirror of the real weights, or without --source); to test with "
                     "random weights, pass the init-random folder itself as --weights-dir")
RandomMarks = list[tuple[str, dict[str, dict[str, Any]], bool]]  # (record, the files it lists, is the mirror's)


def _mirror_record(source: str) -> tuple[str, dict[str, dict[str, Any]]]:
    """The mirror's uncalibrated.json (folder or URL) and the random files it lists ({} when it has none)."""
    if not source.startswith(("http://", "https://")):
        record = Path(source).expanduser() / UNCALIBRATED_FILE
        return str(record), uncalibrated_files(record.parent)
    import requests

    url = source.rstrip("/") + "/" + UNCALIBRATED_FILE
    try:
        response = requests.get(url, timeout=TIMEOUT)
        if response.status_code == 404:
            return url, {}
        response.raise_for_status()
    except requests.RequestException as exc:
        raise FetchError(f"reading {url} (the mirror's list of random test weights) failed: {exc}",
                         fix="check the network and --source, then fetch again") from None
    return url, parse_record(response.text, url).get("files", {})


def _random_marks(directory: Path, source: str | None) -> RandomMarks:
    """The records of random test weights a fetch consults: `directory`'s uncalibrated.json, then the mirror's."""
    marks: RandomMarks = [(str(directory / UNCALIBRATED_FILE), uncalibrated_files(directory), False)]
    if source is not None:
        marks.append((*_mirror_record(source), True))
    return marks


def _refuse_random(spec: WeightSpec, sha256: str, where: str, marks: RandomMarks, by_name: bool, fix: str) -> None:
    """FetchError naming `where` when a record lists its sha256 as random test weights, or (`by_name`: a file from
    the mirror) the mirror's record lists its name; the weights folder's listed files are the ones a fetch replaces."""
    for record, files, mirror in marks:
        if (by_name and mirror and spec.filename in files) or any(entry.get("sha256") == sha256
                                                                   for entry in files.values()):
            raise FetchError(f"{where}: random test weights written by `a2bench weights init-random` (listed in "
                             f"{record}), not the published network; fetch never trusts them", fix=fix)


def fetch(spec: WeightSpec, directory: Path, source: str | None = None, progress: Progress | None = None,
          force: bool = False) -> FetchOutcome:
    """Bring `spec`'s file into `directory`, verified; a present file that verifies is left alone. Random test
    weights (listed in an uncalibrated.json of the source or of `directory`) are refused, never pinned."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / spec.filename
    origin = source_of(spec, source)
    marks = _random_marks(directory, None if spec.package_file else source)
    if path.is_file() and not force and spec.filename not in uncalibrated_files(directory):
        _refuse_random(spec, file_sha256(path), str(path), marks, by_name=False,
                       fix=f"delete it and its entry in {directory / LOCK_FILE}, then fetch the real file")
        try:
            _, newly_pinned = verify_or_pin(spec, directory, progress)
            return FetchOutcome(spec.name, path, file_sha256(path), "present", str(path), pinned=newly_pinned)
        except WeightsHashError:
            pass  # replaced below by a fresh, verified copy
    partial = directory / f".{spec.filename}.{os.getpid()}.part"
    newly_pinned = not spec.sha256 and spec.filename not in pinned(directory)
    try:
        _transfer(origin, partial, spec.size, progress)
        sha256 = file_sha256(partial)
        _refuse_random(spec, sha256, origin, marks, by_name=True, fix=_RANDOM_SOURCE_FIX)
        with contextlib.suppress(WeightsUnpinned):  # nothing to compare with yet: pinned below
            check_hash(spec, directory, sha256, source=origin)
        if newly_pinned:
            _require_network(spec, partial, origin)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    forget_random_file(directory, spec.filename)
    if newly_pinned:
        pin(directory, spec, sha256, path.stat().st_size, origin)
    return FetchOutcome(spec.name, path, sha256, "fetched", origin, pinned=newly_pinned)


def _require_network(spec: WeightSpec, partial: Path, origin: str) -> None:
    """Refuse a download whose hash is about to be pinned unless it holds the expected network (naming the source,
    not the temporary file)."""
    from a2bench.weights.layout import WeightsNotLoadable, check_loads_as

    fix = "the source does not hold the expected file: check --source, or fetch without it"
    try:
        check_loads_as(spec, partial, fix=fix)
    except WeightsNotLoadable as exc:
        raise WeightsNotLoadable(f"{origin}: the download {exc.message}", fix=fix) from None
