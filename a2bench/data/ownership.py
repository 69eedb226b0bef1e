"""What a2bench wrote in a suite folder, so that replacing an import deletes exactly that and nothing else.

a2bench's files in `<root>/<suite>/` are those its lock manifest lists (with the lock manifest itself), those the
derivation records (`derived/*/derivation.json`) list (with the records), the frames inside the frame folders
either lists, and the temporary siblings (`.<name>.a2bench-tmp-*`) that killed writers leave. Anything else is the
user's: a folder holding such a file is never replaced.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from a2bench.atomic import TEMP_MARK
from a2bench.data.derive import DERIVATION_FILE, DERIVED_DIR
from a2bench.data.manifest import Manifest
from a2bench.data.suites import LOCK_FILE
from a2bench.errors import DataError
from a2bench.video.io import FRAME_NAME


def _is_leftover(name: str) -> bool:
    return name.startswith(".") and TEMP_MARK in name


def _recorded(folder: Path, relative: str, owned: set[Path]) -> None:
    """Add a recorded file, or the frames of a recorded frame folder, to `owned`."""
    path = folder / relative
    if path.is_dir() and not path.is_symlink():
        owned.update(child for child in path.iterdir() if FRAME_NAME.match(child.name) and child.is_file())
    else:
        owned.add(path)


def owned_files(suite_dir: Path, manifest: Manifest) -> set[Path]:
    """Every file a2bench recorded writing in the suite folder (leftovers of killed writers aside)."""
    owned = {suite_dir / LOCK_FILE}
    for case in manifest.cases:
        for entry in case.files.values():
            _recorded(suite_dir, entry.path, owned)
    for record in sorted((suite_dir / DERIVED_DIR).glob(f"*/{DERIVATION_FILE}")):
        try:
            document = json.loads(record.read_text(encoding="utf-8"))
            relatives = [entry["path"] for case in document["cases"] for entry in case["files"].values()]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # an unreadable record proves nothing: the files it would list count as the user's
        owned.add(record)
        for relative in relatives:
            _recorded(record.parent, relative, owned)
    return owned


def foreign_files(suite_dir: Path, manifest: Manifest) -> list[Path]:
    """Files (and links) in the suite folder that a2bench did not record writing, sorted."""
    owned = owned_files(suite_dir, manifest)
    foreign = []
    for folder, subfolders, files in os.walk(suite_dir):
        base = Path(folder)
        links = [name for name in subfolders if (base / name).is_symlink()]
        subfolders[:] = [name for name in subfolders if name not in links and not _is_leftover(name)]
        foreign += [base / name for name in files + links if not _is_leftover(name) and base / name not in owned]
    return sorted(foreign)


def require_only_owned(suite_dir: Path, manifest: Manifest) -> None:
    """DataError naming the first files a2bench did not write, when the suite folder holds any."""
    foreign = foreign_files(suite_dir, manifest)
    if foreign:
        shown = ", ".join(str(path.relative_to(suite_dir)) for path in foreign[:3])
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        raise DataError(f"holds files a2bench did not write ({shown}{more}); nothing was replaced or deleted",
                        path=suite_dir, fix="move them out of the suite folder, then import again with --force")


def remove_owned(suite_dir: Path, manifest: Manifest) -> None:
    """Delete the suite folder, which must hold only what a2bench wrote (checked again first)."""
    require_only_owned(suite_dir, manifest)
    for folder, subfolders, files in os.walk(suite_dir, topdown=False):
        base = Path(folder)
        for name in files:
            (base / name).unlink()
        for name in subfolders:
            if (base / name).is_symlink():
                (base / name).unlink()
            elif _is_leftover(name):
                shutil.rmtree(base / name)
            else:
                (base / name).rmdir()
    suite_dir.rmdir()
