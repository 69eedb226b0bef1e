"""Fetch weights into a folder: HTTP download (or a mirror folder/URL, or the installed lpips package), hashed
while written, checked, then moved into place atomically. Unpublished hashes are pinned at first fetch."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from a2bench.errors import A2BenchError
from a2bench.weights.registry import WeightSpec
from a2bench.weights.store import (
    CHUNK,
    Progress,
    WeightsHashError,
    WeightsUnpinned,
    check_hash,
    file_sha256,
    forget_random_file,
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


def fetch(spec: WeightSpec, directory: Path, source: str | None = None, progress: Progress | None = None,
          force: bool = False) -> FetchOutcome:
    """Bring `spec`'s file into `directory`, verified; a present file that verifies is left alone."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / spec.filename
    origin = source_of(spec, source)
    if path.is_file() and not force and spec.filename not in uncalibrated_files(directory):
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
