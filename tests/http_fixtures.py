"""Test helpers: a threaded HTTP server on 127.0.0.1 with programmable faults, archive builders, test manifests.

Faults are queued per file and consumed one per GET, in order; once a file's queue is empty it is served correctly:
  drop   send headers and about half the body, then close the connection
  short  like drop, but without Content-Length (the client only sees the connection close)
  wrong  send the right length of wrong bytes
  error  answer 500
  slow   send the body in eight pieces, `slow_pause` seconds apart
  stall  wait `stall` seconds before answering (longer than the client's timeout), then close
"""

from __future__ import annotations

import hashlib
import io
import stat
import tarfile
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from a2bench.data.manifest import CaseEntry, FileEntry, Manifest, ProtocolDefaults, Source

FAULTS = ("drop", "short", "wrong", "error", "slow", "stall")


@dataclass
class Served:
    """A file the server holds: its bytes, queued faults, and whether it honours Range requests."""

    body: bytes
    faults: list[str] = field(default_factory=list)
    ranges: bool = True


@dataclass(frozen=True)
class Request:
    """One request the server saw."""

    method: str
    path: str
    range: str | None


class FileServer:
    """In-memory files over HTTP/1.1 on 127.0.0.1, with faults, extra headers and a request log."""

    def __init__(self, stall: float = 1.0, slow_pause: float = 0.05):
        self.files: dict[str, Served] = {}
        self.requests: list[Request] = []
        self.headers: dict[str, str] = {}
        self.missing_headers: dict[str, str] = {}
        self.stall = stall
        self.slow_pause = slow_pause
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.owner = self  # type: ignore[attr-defined]

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, path: str, body: bytes, *faults: str, ranges: bool = True) -> str:
        """Serve `body` at `path` (leading slash), with `faults` for the first GETs; returns its URL."""
        unknown = set(faults) - set(FAULTS)
        assert not unknown, f"unknown faults {unknown}"
        self.files[path] = Served(body, list(faults), ranges)
        return self.url + path

    def gets(self, path: str) -> list[Request]:
        """The GET requests made for `path`, in order."""
        with self.lock:
            return [r for r in self.requests if r.method == "GET" and r.path == path]

    def start(self) -> None:
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def serving(**kwargs: float) -> Iterator[FileServer]:
    """A started FileServer, stopped on exit."""
    server = FileServer(**kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        owner: FileServer = self.server.owner  # type: ignore[attr-defined]
        path = unquote(urlsplit(self.path).path)
        with owner.lock:
            owner.requests.append(Request(self.command, path, self.headers.get("Range")))
            served = owner.files.get(path)
            fault = served.faults.pop(0) if served and served.faults and not head else None
        if served is None:
            self._reply(404, {**owner.headers, **owner.missing_headers, "Content-Length": "0"})
            return
        if fault == "stall":
            time.sleep(owner.stall)
            self.close_connection = True
            return
        if fault == "error":
            self._reply(500, {"Content-Length": "0"})
            return
        body = bytes(b ^ 0xFF for b in served.body) if fault == "wrong" else served.body
        start = _range_start(self.headers.get("Range")) if served.ranges else 0
        headers = {**owner.headers, "ETag": f'"{hashlib.sha256(served.body).hexdigest()}"'}
        if served.ranges:
            headers["Accept-Ranges"] = "bytes"
        if start >= len(body) > 0:
            self._reply(416, {**headers, "Content-Range": f"bytes */{len(body)}", "Content-Length": "0"})
            return
        if start:
            headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
        if fault == "short":
            headers["Connection"] = "close"
        else:
            headers["Content-Length"] = str(len(body) - start)
        self._reply(206 if start else 200, headers)
        if not head:
            self._send_body(body[start:], fault, owner.slow_pause)

    def _reply(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _send_body(self, payload: bytes, fault: str | None, pause: float) -> None:
        try:
            if fault in ("drop", "short"):
                self.wfile.write(payload[: len(payload) // 2])
                self.wfile.flush()
                self.close_connection = True
            elif fault == "slow":
                step = max(1, -(-len(payload) // 8))
                for offset in range(0, len(payload), step):
                    self.wfile.write(payload[offset:offset + step])
                    self.wfile.flush()
                    time.sleep(pause)
            else:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def _range_start(header: str | None) -> int:
    """The first byte of an open `bytes=N-` range (the only form the downloader sends); 0 otherwise."""
    if header and header.startswith("bytes=") and header.endswith("-"):
        return int(header[len("bytes="):-1])
    return 0


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tar_bytes(files: dict[str, bytes], *, symlinks: dict[str, str] | None = None,
              hardlinks: dict[str, str] | None = None, devices: tuple[str, ...] = (), mode: str = "w:gz") -> bytes:
    """A tar archive in memory: regular files, then symlinks and hard links (name -> target), then char devices."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for links, kind in ((symlinks or {}, tarfile.SYMTYPE), (hardlinks or {}, tarfile.LNKTYPE)):
            for name, target in links.items():
                info = tarfile.TarInfo(name)
                info.type, info.linkname = kind, target
                tar.addfile(info)
        for name in devices:
            info = tarfile.TarInfo(name)
            info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
            tar.addfile(info)
    return buffer.getvalue()


def zip_bytes(files: dict[str, bytes], *, symlinks: dict[str, str] | None = None) -> bytes:
    """A zip archive in memory; symlinks are stored as Info-ZIP does (mode S_IFLNK, the target as content)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, data in files.items():
            zipped.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zipped.writestr(info, target)
    return buffer.getvalue()


def make_manifest(files: dict[str, bytes], sources: list[Source], name: str = "web-mini") -> Manifest:
    """One case per file, each pinned by its sha256 and size."""
    cases = [CaseEntry(id=f"c{i}", files={"reference": FileEntry(path=path, sha256=sha256(data), size=len(data))})
             for i, (path, data) in enumerate(sorted(files.items()))]
    return Manifest(suite=name, version="1", description="test suite", license="CC0-1.0", sources=sources,
                    protocol_defaults=ProtocolDefaults(resolution=(8, 8), frames=1, fps=1), cases=cases)
