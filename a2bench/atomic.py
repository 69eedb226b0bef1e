"""The one way a2bench writes a file or a folder: into a temporary sibling, fsync'ed, then renamed into place.

A reader (or a resumed run) therefore sees the old file or the complete new one, never half of one; a writer
killed mid-write leaves at most a temporary `.<name>.a2bench-tmp-*` sibling, which `remove_leftovers` deletes.
New files get the mode an ordinary `open()` would give them (0666 minus the umask), not mkstemp's 0600.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

TEMP_MARK = ".a2bench-tmp-"


def _umask_mode(base: int) -> int:
    current = os.umask(0)
    os.umask(current)
    return base & ~current


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable; some file systems cannot open folders, which only loses durability."""
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def temp_prefix(path: Path) -> str:
    """The name prefix of `path`'s temporary siblings."""
    return f".{path.name}{TEMP_MARK}"


def atomic_write(path: Path | str, data: bytes | str | Callable[[IO[bytes]], None], *,
                 encoding: str = "utf-8") -> Path:
    """Write `data` (bytes, text, or a function writing to a binary stream) to `path` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=temp_prefix(path), dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            if callable(data):
                data(stream)
            else:
                stream.write(data.encode(encoding) if isinstance(data, str) else data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, _umask_mode(0o666))
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return path


def atomic_write_json(path: Path | str, document: Any, *, indent: int | None = 2, sort_keys: bool = False) -> Path:
    """JSON (UTF-8, non-ASCII kept, trailing newline) written atomically."""
    text = json.dumps(document, indent=indent, sort_keys=sort_keys, ensure_ascii=False) + "\n"
    return atomic_write(path, text)


@contextlib.contextmanager
def atomic_folder(path: Path | str, replace: Callable[[Path], None] | None = None) -> Iterator[Path]:
    """Yield a temporary sibling folder to fill; on success it is renamed to `path`.

    An existing `path` is removed first by `replace(path)` (the caller decides what it may delete); without
    `replace` an existing `path` is an error (FileExistsError), so nothing a2bench did not create is lost.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=temp_prefix(path), dir=path.parent))
    try:
        yield staging
        os.chmod(staging, _umask_mode(0o777))
        if path.exists():
            if replace is None:
                raise FileExistsError(f"{path} exists")
            replace(path)
        os.replace(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync_folder(path.parent)


def remove_leftovers(folder: Path | str, name: str | None = None) -> list[Path]:
    """Delete the temporary siblings that killed writers left in `folder` (of `name` only, when given)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    pattern = f".{name}{TEMP_MARK}*" if name else f".*{TEMP_MARK}*"
    removed = []
    for leftover in folder.glob(pattern):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
        removed.append(leftover)
    return removed
