"""Check, before any work is done, that an output folder or file can be written: a run that scores for an hour
must not die at the end on a read-only folder, a file where a folder should be, or a folder named as a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from a2bench.errors import A2BenchError


class NotWritable(A2BenchError):
    """An output location a2bench cannot write."""


def _blocking_ancestor(path: Path) -> Path | None:
    """The first ancestor of `path` that exists but is not a folder (the output would be "under a file")."""
    for parent in [path, *path.parents]:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def _probe(folder: Path, option: str) -> None:
    """Create and remove a file in `folder`: the only check that also holds for root and read-only mounts."""
    try:
        handle, probe = tempfile.mkstemp(prefix=".a2bench-write-probe-", dir=folder)
    except OSError as exc:
        raise NotWritable(f"folder is not writable ({exc.strerror})", path=folder,
                          fix=f"make it writable or pass another {option}") from None
    os.close(handle)
    os.unlink(probe)


def require_writable_folder(path: Path | str, option: str) -> Path:
    """Create `path` when missing and check a file can be written in it; NotWritable naming it otherwise."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise NotWritable("is a file, not a folder", path=path, fix=f"pass a folder as {option}")
    blocking = _blocking_ancestor(path.parent)
    if blocking is not None:
        raise NotWritable(f"cannot be created: {blocking} is a file", path=path, fix=f"pass another {option}")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NotWritable(f"cannot create the folder ({exc.strerror})", path=path,
                          fix=f"make its parent writable or pass another {option}") from None
    _probe(path, option)
    return path


def require_writable_file(path: Path | str, option: str) -> Path:
    """Check that the file `path` can be (re)written: its folder is writable and it is not a folder."""
    path = Path(path)
    if path.is_dir():
        raise NotWritable("is a folder, not a file", path=path, fix=f"pass a file name as {option}")
    blocking = _blocking_ancestor(path.parent)
    if blocking is not None:
        raise NotWritable(f"cannot be written: {blocking} is a file", path=path, fix=f"pass another {option}")
    folder = path.parent
    if not folder.exists():
        require_writable_folder(folder, option)
    else:
        _probe(folder, option)
    if path.exists() and not os.access(path, os.W_OK):
        raise NotWritable("file is read-only", path=path, fix=f"make it writable or pass another {option}")
    return path


def require_apart_from_inputs(path: Path | str, option: str, inputs: dict[str, Path]) -> None:
    """NotWritable when the output folder is an input folder or inside one: a2bench would write its files among
    the videos it scores, and a later call would find them there."""
    target = Path(path).resolve()
    for name, folder in inputs.items():
        source = folder.resolve()
        if target == source or source in target.parents:
            where = "is" if target == source else "is inside"
            raise NotWritable(f"{where} the {name} folder {folder}", path=path,
                              fix=f"pass a folder outside {name} as {option}")
