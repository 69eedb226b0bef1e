"""Verified downloads of a suite's files: parallel, resumable, retried, hashed while streaming, placed atomically.

Files stream into `.part` files under `<suite>/.a2bench-partial/` and are renamed to their final path only once their
sha256 matches the manifest, so a partial or wrong file never appears there. Files already in place with the right
hash are kept; a file in place that differs is reported and left alone.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TypeVar
from urllib.parse import quote, urlsplit

import requests

from a2bench.data.archives import is_archive, safe_extract
from a2bench.data.hashing import file_sha256
from a2bench.data.manifest import FileEntry, Manifest
from a2bench.data.suites import ROOT_OPTION, Suite, restore_hint
from a2bench.errors import DataError
from a2bench.writable import require_writable_folder

PARTIAL_DIR = ".a2bench-partial"
CHUNK = 1 << 16
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
T = TypeVar("T")
NETWORK_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


@dataclass(frozen=True)
class DownloadOptions:
    """Parallel transfers, attempts after the first, backoff base and per-read timeout (seconds)."""

    jobs: int = 4
    retries: int = 4
    backoff: float = 0.5
    timeout: float = 30.0


@dataclass(frozen=True)
class Transfer:
    """One file to fetch: its manifest entry, the `.part` file it streams into, and its final path."""

    entry: FileEntry
    part: Path
    final: Path


Fetcher = Callable[[Transfer], None]


@dataclass
class DownloadReport:
    """What a download did: files fetched, files already in place, and the files it could not put in place."""

    folder: Path
    fetched: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    problems: list[DataError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every file is in place and verified."""
        return not self.problems


class TransientError(Exception):
    """A failure worth retrying: dropped connection, timeout, 5xx, or a hash mismatch after a full transfer."""


def copy_hashed(source: Path, dest: Path) -> str:
    """Copy `source` to `dest` (replacing it) and return the sha256 of the bytes copied."""
    digest = hashlib.sha256()
    with open(source, "rb") as reader, open(dest, "wb") as writer:
        for chunk in iter(lambda: reader.read(CHUNK), b""):
            writer.write(chunk)
            digest.update(chunk)
    return digest.hexdigest()


def _check_status(response: requests.Response, url: str, offset: int, final: Path) -> None:
    """Raise DataError for answers no retry will fix (404, 403, ...), TransientError for those worth retrying."""
    status = response.status_code
    if status in (404, 410):
        raise DataError(f"not found at {url} (HTTP {status})", path=final,
                        fix="check --source or the manifest's location; the mirror may lack this file")
    if status in RETRY_STATUSES:
        raise TransientError(f"HTTP {status} from {url}")
    if status not in (200, 206) and not (status == 416 and offset):
        raise DataError(f"HTTP {status} {response.reason} from {url}", path=final,
                        fix="check the URL and your access to it")


def _resumes(response: requests.Response, offset: int) -> bool:
    """True when the server answered a Range request with the bytes from `offset` on (206 and a matching range)."""
    content_range = response.headers.get("Content-Range", "")
    return response.status_code == 206 and content_range.startswith(f"bytes {offset}-")


def _transfer(session: requests.Session, url: str, part: Path, size: int | None, timeout: float, final: Path) -> str:
    """One GET into `part`, resuming with Range when it holds bytes; returns the sha256 of the whole part file."""
    offset = part.stat().st_size if part.exists() else 0
    headers = {"Accept-Encoding": "identity", **({"Range": f"bytes={offset}-"} if offset else {})}
    try:
        with session.get(url, headers=headers, stream=True, timeout=timeout) as response:
            _check_status(response, url, offset, final)
            if response.status_code == 416:
                return file_sha256(part)
            digest = hashlib.sha256()
            resume = offset > 0 and _resumes(response, offset)
            if resume:
                with open(part, "rb") as existing:
                    for chunk in iter(lambda: existing.read(CHUNK), b""):
                        digest.update(chunk)
            written = offset if resume else 0
            with open(part, "ab" if resume else "wb") as handle:
                for chunk in response.iter_content(CHUNK):
                    handle.write(chunk)
                    digest.update(chunk)
                    written += len(chunk)
                    if size is not None and written > size:
                        break
            if size is not None and written < size:
                raise TransientError(f"the connection closed after {written} of {size} bytes from {url}")
            return digest.hexdigest()
    except NETWORK_ERRORS as exc:
        raise TransientError(f"{type(exc).__name__} from {url}") from None


def fetch_url(session: requests.Session, url: str, part: Path, sha256: str | None, size: int | None,
              options: DownloadOptions, final: Path) -> None:
    """Download `url` into `part` until its sha256 matches (any bytes when `sha256` is None), retrying with backoff."""
    failure = ""
    for attempt in range(options.retries + 1):
        if attempt:
            time.sleep(options.backoff * 2 ** (attempt - 1))
        try:
            digest = _transfer(session, url, part, size, options.timeout, final)
        except TransientError as exc:
            failure = str(exc)
            continue
        if sha256 is None or digest == sha256:
            return
        part.unlink(missing_ok=True)
        failure = f"the bytes from {url} do not match the manifest's sha256"
    raise DataError(f"download failed after {options.retries + 1} attempts: {failure}", path=final,
                    fix="check your connection or the source and rerun; finished files are kept, partial ones resumed")


class HttpFetcher:
    """Fetches `<base URL>/<entry path>` over HTTP(S) with a requests session per thread."""

    def __init__(self, base_url: str, options: DownloadOptions):
        self.base_url = base_url.rstrip("/")
        self.options = options
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def session(self) -> requests.Session:
        """This thread's session (connections are reused across its files)."""
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
            with self._lock:
                self._sessions.append(self._local.session)
        return self._local.session

    def close(self) -> None:
        """Close every thread's session."""
        for session in self._sessions:
            session.close()

    def __call__(self, job: Transfer) -> None:
        url = f"{self.base_url}/{quote(job.entry.path)}"
        fetch_url(self.session(), url, job.part, job.entry.sha256, job.entry.size, self.options, job.final)


class FolderFetcher:
    """Copies `<folder>/<entry path>` from a local mirror or an extracted archive, hashing while copying."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __call__(self, job: Transfer) -> None:
        source = self.folder / job.entry.path
        if not source.is_file():
            raise DataError("missing from the source folder", path=source,
                            fix="point --source at a complete copy of the suite")
        if copy_hashed(source, job.part) != job.entry.sha256:
            job.part.unlink()
            raise DataError("its sha256 differs from the manifest", path=source,
                            fix="this copy is altered or of another version; use a correct one")


def _is_url(location: str) -> bool:
    return urlsplit(location).scheme in ("http", "https")


def _archive_fetcher(location: str, suite: Suite, options: DownloadOptions, stack: ExitStack) -> Fetcher:
    """Fetch (when a URL) and safely extract an archive holding the suite's files; copy files out of it."""
    partial = suite.folder / PARTIAL_DIR
    extracted = partial / "extracted"
    shutil.rmtree(extracted, ignore_errors=True)
    partial.mkdir(parents=True, exist_ok=True)
    stack.callback(shutil.rmtree, extracted, ignore_errors=True)
    archive = Path(location).expanduser()
    if _is_url(location):
        archive = partial / (PurePosixPath(urlsplit(location).path).name or "archive")
        part = archive.with_name(archive.name + ".part")
        with requests.Session() as session:
            fetch_url(session, location, part, None, None, options, suite.folder)
        part.replace(archive)
        stack.callback(archive.unlink, missing_ok=True)
    safe_extract(archive, extracted)
    children = list(extracted.iterdir())
    first = next(iter(_entries(suite.manifest)), None)
    if first and not (extracted / first.path).exists() and len(children) == 1 and children[0].is_dir():
        return FolderFetcher(children[0])
    return FolderFetcher(extracted)


def _source_fetcher(source: str, suite: Suite, options: DownloadOptions, stack: ExitStack) -> Fetcher:
    """The fetcher for `--source`: a folder, an archive (path or URL) or a base URL."""
    if _is_url(source):
        if is_archive(urlsplit(source).path):
            return _archive_fetcher(source, suite, options, stack)
        fetcher = HttpFetcher(source, options)
        stack.callback(fetcher.close)
        return fetcher
    path = Path(source).expanduser()
    if path.is_dir():
        return FolderFetcher(path)
    if path.is_file() and is_archive(path):
        return _archive_fetcher(source, suite, options, stack)
    raise DataError("source is not a folder, an archive or an http(s) URL", path=path,
                    fix="pass a folder holding the suite's files, a .tar.gz/.zip of it, or a base URL")


def _manifest_fetcher(suite: Suite, options: DownloadOptions, stack: ExitStack) -> Fetcher:
    """The fetcher for the manifest's first downloadable source."""
    for source in suite.manifest.sources:
        if source.kind == "https":
            fetcher = HttpFetcher(source.location, options)
            stack.callback(fetcher.close)
            return fetcher
        if source.kind == "huggingface":
            from a2bench.data.hf_source import HfFetcher

            return HfFetcher(source)
        if source.kind == "archive":
            return _archive_fetcher(source.location, suite, options, stack)
    raise DataError(f"suite '{suite.name}' has nothing to download", path=suite.folder,
                    fix=f"{restore_hint(suite.manifest)}, or pass --source with a folder or URL holding its files")


def _entries(manifest: Manifest) -> Iterator[FileEntry]:
    for case in manifest.cases:
        yield from case.files.values()


def _require_file_hashes(manifest: Manifest) -> None:
    for entry in _entries(manifest):
        if entry.hash != "file":
            raise DataError(f"'{entry.path}' pins a '{entry.hash}' hash; downloads verify file hashes",
                            fix="downloadable manifests must use \"hash\": \"file\"")


def _conflict(final: Path, suite: Suite) -> DataError:
    return DataError("already present but differs from the manifest; not overwritten", path=final,
                     fix=f"move it away and rerun `a2bench data download {suite.name}`")


def _in_place(entry: FileEntry, suite: Suite) -> bool:
    """True when the file is already in place with the pinned hash; DataError when something else is there."""
    final = suite.folder / entry.path
    if not (final.exists() or final.is_symlink()):
        return False
    if (final.is_file() and (entry.size is None or final.stat().st_size == entry.size)
            and file_sha256(final) == entry.sha256):
        return True
    raise _conflict(final, suite)


def _place(job: Transfer, fetch: Fetcher, suite: Suite) -> None:
    """Fetch one file into its `.part` file and rename it into place; never replaces a file already there."""
    job.part.parent.mkdir(parents=True, exist_ok=True)
    fetch(job)
    job.final.parent.mkdir(parents=True, exist_ok=True)
    if job.final.exists() or job.final.is_symlink():
        raise _conflict(job.final, suite)
    os.replace(job.part, job.final)


def _attempt(action: Callable[[], T], path: Path) -> T | DataError:
    """Run `action`; its DataError, or an OS error (disk full, permissions) as DataError, is returned, not raised."""
    try:
        return action()
    except DataError as exc:
        return exc
    except OSError as exc:
        return DataError(f"file system error ({exc.strerror or exc})", path=exc.filename or path,
                         fix="check free space and permissions")


def _remove_empty_dirs(folder: Path) -> None:
    """Remove `folder` and its sub-folders when they hold no files (partial transfers are kept for resuming)."""
    if not folder.is_dir():
        return
    for current, _dirs, _files in sorted(os.walk(folder), key=lambda item: len(item[0]), reverse=True):
        if not os.listdir(current):
            os.rmdir(current)


def download_suite(suite: Suite, source: str | None = None, options: DownloadOptions | None = None,
                   on_file: Callable[[str], None] | None = None) -> DownloadReport:
    """Put every file of `suite` in place from `source` (folder, archive or base URL) or the manifest's source.

    Files are checked and fetched `options.jobs` at a time; `on_file(path)` is called (in the calling thread) as each
    is settled. Problems with single files (not found, conflicts, failures after retries) are collected in the report;
    problems with the source as a whole raise DataError.
    """
    options = options or DownloadOptions()
    entries = list(_entries(suite.manifest))
    if not entries:
        raise DataError(f"suite '{suite.name}' lists no files to download", fix=restore_hint(suite.manifest))
    _require_file_hashes(suite.manifest)
    report = DownloadReport(suite.folder)
    pending: list[FileEntry] = []
    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        checks = pool.map(lambda e: _attempt(lambda: _in_place(e, suite), suite.folder / e.path), entries)
        for entry, state in zip(entries, checks, strict=True):
            if state is False:
                pending.append(entry)
                continue
            if isinstance(state, DataError):
                report.problems.append(state)
            else:
                report.kept.append(entry.path)
            if on_file:
                on_file(entry.path)
    if not pending:
        return report
    require_writable_folder(suite.folder, ROOT_OPTION)
    partial = suite.folder / PARTIAL_DIR
    with ExitStack() as stack:
        stack.callback(_remove_empty_dirs, partial)
        fetch = _attempt(lambda: _source_fetcher(source, suite, options, stack) if source
                         else _manifest_fetcher(suite, options, stack), partial)
        if isinstance(fetch, DataError):
            raise fetch
        jobs = [Transfer(entry, partial / f"{entry.path}.part", suite.folder / entry.path) for entry in pending]
        with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
            futures = {pool.submit(_attempt, lambda job=job: _place(job, fetch, suite), job.final): job
                       for job in jobs}
            try:
                for future in as_completed(futures):
                    outcome, path = future.result(), futures[future].entry.path
                    if isinstance(outcome, DataError):
                        report.problems.append(outcome)
                    else:
                        report.fetched.append(path)
                    if on_file:
                        on_file(path)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    return report
