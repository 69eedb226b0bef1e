"""Safe extraction of tar (.gz/.bz2/.xz) and zip archives: nothing lands outside the destination, nothing is replaced.

Every entry is checked before anything is written (absolute paths, `..`, links leaving the archive, device files);
tar extraction also uses tarfile's "data" filter where Python has it. Files are extracted into a temporary folder and
moved into the destination only when the whole archive has been read.
"""

from __future__ import annotations

import lzma
import posixpath
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from collections import Counter
from pathlib import Path

from a2bench.errors import DataError

TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
ARCHIVE_SUFFIXES = (*TAR_SUFFIXES, ".zip")
BROKEN_ERRORS = (tarfile.TarError, zipfile.BadZipFile, EOFError, KeyError, zlib.error, lzma.LZMAError)
BROKEN_FIX = "the archive is truncated or corrupt: download or copy it again"
TRUST_FIX = "only extract archives from sources you trust"
FILTER_ERRORS: tuple[type[Exception], ...] = (tarfile.FilterError,) if hasattr(tarfile, "data_filter") else ()


class UnsafeArchiveError(DataError):
    """An archive entry that would land outside the destination or is not a plain file, folder or inner link."""


def is_archive(path: Path | str) -> bool:
    """True when the name ends like an archive a2bench can extract (tar, tar.gz/bz2/xz, zip)."""
    return str(path).lower().endswith(ARCHIVE_SUFFIXES)


def safe_extract(archive: Path, dest: Path) -> Path:
    """Extract `archive` into `dest` (created when missing) via a temporary folder; returns `dest`.

    Raises UnsafeArchiveError for an entry that is unsafe, DataError for an unreadable or truncated archive or for an
    entry whose name is already taken in `dest` (existing files are never replaced).
    """
    if not archive.is_file():
        raise DataError("archive not found", path=archive, fix="check the path")
    if dest.exists():
        staging = Path(tempfile.mkdtemp(prefix=".a2bench-extract-", dir=dest))
        try:
            _extract(archive, staging)
            _move_children(staging, dest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.extract-", dir=dest.parent))
    try:
        _extract(archive, staging)
        staging.rename(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def _extract(archive: Path, staging: Path) -> None:
    name = archive.name.lower()
    is_zip = name.endswith(".zip") or (not name.endswith(TAR_SUFFIXES) and zipfile.is_zipfile(archive))
    try:
        if is_zip:
            _extract_zip(archive, staging)
        else:
            _extract_tar(archive, staging)
    except FILTER_ERRORS as exc:
        raise UnsafeArchiveError(f"unsafe entry refused by tarfile ({exc})", path=archive,
                                 fix=TRUST_FIX) from None
    except OSError as exc:
        if exc.errno is None:
            raise DataError(f"cannot read archive ({exc})", path=archive, fix=BROKEN_FIX) from None
        raise DataError(f"cannot extract ({exc.strerror})", path=exc.filename or archive,
                        fix="check free space and permissions") from None
    except BROKEN_ERRORS as exc:
        raise DataError(f"cannot read archive ({type(exc).__name__}: {exc})", path=archive, fix=BROKEN_FIX) from None


def _safe_name(name: str, archive: Path) -> str:
    """The entry name normalised; UnsafeArchiveError for absolute paths, `..`, backslashes or drive letters."""
    normal = posixpath.normpath(name)
    if (name.startswith("/") or "\\" in name or (len(name) > 1 and name[1] == ":")
            or normal == ".." or normal.startswith("../")):
        raise UnsafeArchiveError(f"entry '{name}' points outside the archive's folder", path=archive,
                                 fix=TRUST_FIX)
    return normal


def _parents(name: str) -> list[str]:
    parts = name.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _check_tar(members: list[tarfile.TarInfo], archive: Path) -> None:
    """Refuse `..` or absolute names, links leaving the archive, entries through or over links, special files."""
    names = [_safe_name(member.name, archive) for member in members]
    counts = Counter(names)
    links = {name for name, member in zip(names, members, strict=True) if member.issym() or member.islnk()}
    for name, member in zip(names, members, strict=True):
        if any(parent in links for parent in _parents(name)) or (name in links and counts[name] > 1):
            raise UnsafeArchiveError(f"entry '{member.name}' is written through or over a link", path=archive,
                                     fix=TRUST_FIX)
        if member.issym() or member.islnk():
            base = posixpath.dirname(name) if member.issym() else ""
            if member.linkname.startswith("/") or _leaves(posixpath.join(base, member.linkname)):
                kind = "symlink" if member.issym() else "hard link"
                raise UnsafeArchiveError(f"{kind} '{member.name}' -> '{member.linkname}' leaves the archive's "
                                         "folder", path=archive, fix=TRUST_FIX)
        elif not (member.isfile() or member.isdir()):
            raise UnsafeArchiveError(f"entry '{member.name}' is a device or special file", path=archive,
                                     fix=TRUST_FIX)


def _leaves(path: str) -> bool:
    normal = posixpath.normpath(path)
    return normal == ".." or normal.startswith("../")


def _extract_tar(archive: Path, staging: Path) -> None:
    with tarfile.open(archive, "r:*") as tar:
        members = tar.getmembers()
        _check_tar(members, archive)
        if hasattr(tarfile, "data_filter"):
            tar.extractall(staging, members=members, filter="data")
        else:
            tar.extractall(staging, members=members)


def _extract_zip(archive: Path, staging: Path) -> None:
    with zipfile.ZipFile(archive) as zipped:
        infos = zipped.infolist()
        for info in infos:
            _safe_name(info.filename, archive)
            kind = stat.S_IFMT(info.external_attr >> 16)
            if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                raise UnsafeArchiveError(f"entry '{info.filename}' is a link or special file", path=archive,
                                         fix="repack the archive with plain files")
            if info.flag_bits & 0x1:
                raise DataError(f"entry '{info.filename}' is encrypted", path=archive,
                                fix="repack the archive without a password")
        zipped.extractall(staging, members=infos)


def _move_children(staging: Path, dest: Path) -> None:
    """Move the staged top-level entries into `dest`, refusing before any move if a name is already taken."""
    children = sorted(staging.iterdir())
    taken = [child.name for child in children if (dest / child.name).exists() or (dest / child.name).is_symlink()]
    if taken:
        raise DataError(f"extracting would replace '{taken[0]}'" + (f" and {len(taken) - 1} more" if len(taken) > 1
                                                                   else ""),
                        path=dest, fix="move the existing files away or extract into an empty folder")
    for child in children:
        child.rename(dest / child.name)
