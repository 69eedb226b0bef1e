"""Import a benchmark copy a user has (A²Bench, TikTok, UBC-Fashion, or any folder) as a local suite.

Accepted layouts: `DIR/<case>/{reference.png|jpg, video.mp4[, poses.npz]}` or
`DIR/images/<case>.png` + `DIR/videos/<case>.mp4` (+ optional `DIR/poses/<case>.npz`). Files are copied
into `<root>/<suite>/<case>/` (the user's folder is only read), every video is decoded once to validate
it, and a lock manifest pinning each file's sha256 and size is written as `<root>/<suite>/suite.lock.json`.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from a2bench.atomic import atomic_folder, atomic_write, remove_leftovers
from a2bench.data.hashing import file_sha256
from a2bench.data.manifest import (
    CaseEntry,
    FileEntry,
    Manifest,
    ProtocolDefaults,
    Source,
    dump_manifest,
    load_manifest_file,
)
from a2bench.data.ownership import remove_owned, require_only_owned
from a2bench.data.poses.format import PoseSequence, load_poses, save_poses
from a2bench.data.suites import LOCK_FILE, ROOT_OPTION
from a2bench.errors import A2BenchError, DataError
from a2bench.names import check_name
from a2bench.video.io import read_image, read_video
from a2bench.writable import require_writable_folder

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
VIDEO_SUFFIXES = (".mp4",)


@dataclass(frozen=True)
class ImportTarget:
    """What an imported suite is expected to hold, and how it is described."""

    suite: str
    description: str
    license: str
    expected_cases: int | None
    settings: tuple[str, ...]


IMPORT_TARGETS = {
    "a2bench": ImportTarget("a2bench", "A²Bench test set (Animate-X, ICLR 2025): anthropomorphic character images "
                            "and their dance videos; imported from a local copy.",
                            "as distributed by its authors (unpublished)", 100, ("self", "rescaled")),
    "tiktok": ImportTarget("tiktok", "TikTok dance test set (10 videos) as used by DisCo and the Animate-X paper.",
                           "research use, see the TikTok dataset terms", 10, ("self",)),
    "ubc-fashion": ImportTarget("ubc-fashion", "UBC Fashion test set (100 videos) as used by DreamPose and the "
                                "Animate-X paper.", "research use, see the UBC Fashion terms", 100, ("self",)),
}


@dataclass(frozen=True)
class FoundCase:
    """The files of one case in the user's folder."""

    case_id: str
    reference: Path
    video: Path
    poses: Path | None


def _first(folder: Path, stem: str, suffixes: tuple[str, ...]) -> Path | None:
    for suffix in suffixes:
        for candidate in (folder / f"{stem}{suffix}", folder / f"{stem}{suffix.upper()}"):
            if candidate.is_file():
                return candidate
    return None


def find_cases(folder: Path) -> list[FoundCase]:
    """Cases in either accepted layout; DataError naming the folder and the layouts when neither fits."""
    if not folder.is_dir():
        raise DataError("import source does not exist or is not a folder", path=folder,
                        fix="pass the folder (or archive) holding the benchmark")
    if (folder / "images").is_dir() and (folder / "videos").is_dir():
        cases = []
        for image in sorted(p for p in (folder / "images").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
            video = _first(folder / "videos", image.stem, VIDEO_SUFFIXES)
            if video is None:
                raise DataError(f"no video for image '{image.name}'", path=folder / "videos",
                                fix=f"add videos/{image.stem}.mp4 or remove the image")
            case_id = check_name(image.stem, "case id (the image's name)", path=image)
            cases.append(FoundCase(case_id, image, video, _first(folder / "poses", image.stem, (".npz",))))
    else:
        cases = []
        for case_dir in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
            reference = _first(case_dir, "reference", IMAGE_SUFFIXES)
            video = _first(case_dir, "video", VIDEO_SUFFIXES)
            if reference is None and video is None:
                continue
            if reference is None or video is None:
                missing = "reference.png" if reference is None else "video.mp4"
                raise DataError(f"case folder lacks {missing}", path=case_dir,
                                fix="each case folder needs reference.png (or .jpg) and video.mp4")
            case_id = check_name(case_dir.name, "case id (the folder's name)", path=case_dir)
            cases.append(FoundCase(case_id, reference, video, _first(case_dir, "poses", (".npz",))))
    if not cases:
        raise DataError("no cases found", path=folder,
                        fix="lay the data out as DIR/<case>/{reference.png, video.mp4} or "
                            "DIR/images/<case>.png + DIR/videos/<case>.mp4")
    return cases


def _validate(case: FoundCase) -> np.ndarray:
    """Decode the reference, the video and the poses once; the video's frames."""
    read_image(case.reference)
    video = read_video(case.video)
    if case.poses is not None:
        poses = load_poses(case.poses)
        if len(poses) != len(video):
            raise DataError(f"{len(poses)} poses for a video of {len(video)} frames", path=case.poses,
                            fix="store one pose per video frame")
    return video


PoseMode = Literal["auto", "extract", "skip"]


def _pose_extractor(mode: PoseMode, weights: Path | None) -> Callable[[np.ndarray], PoseSequence] | None:
    """DWPose for cases without poses: required (extract), when its weights are present (auto), or never."""
    if mode == "skip":
        return None
    from a2bench.data.poses.dwpose import DWPose, find_weights

    try:
        find_weights(weights)
    except A2BenchError:
        if mode == "extract":
            raise
        return None
    return DWPose.from_weights(weights).sequence


def _entry(source: Path, target_dir: Path, name: str, suite_dir: Path) -> FileEntry:
    target = target_dir / name
    shutil.copy2(source, target)
    return FileEntry(path=target.relative_to(suite_dir).as_posix(), sha256=file_sha256(target), hash="file",
                     size=target.stat().st_size)


@dataclass(frozen=True)
class ImportReport:
    """What an import produced."""

    manifest: Manifest
    folder: Path
    warnings: list[str]


def _earlier_import(suite_dir: Path, force: bool) -> Manifest | None:
    """The lock manifest of the import that `--force` replaces (None when there is none); DataError when the
    folder is not an import, `--force` is missing, or it holds files a2bench did not write."""
    if not suite_dir.exists():
        return None
    lock = suite_dir / LOCK_FILE
    if not lock.is_file():
        raise DataError("a folder a2bench did not create is already there; nothing was replaced", path=suite_dir,
                        fix="move it away or choose another --root")
    if not force:
        raise DataError("a suite folder is already there", path=suite_dir,
                        fix="pass --force to replace the earlier import")
    try:
        manifest = load_manifest_file(lock)
    except DataError as exc:
        raise DataError(f"the earlier import's lock manifest is broken ({exc.message}), so a2bench cannot tell its "
                        "files from yours; nothing was replaced", path=suite_dir,
                        fix="move the folder away, then import again") from None
    require_only_owned(suite_dir, manifest)
    return manifest


def import_suite(target: ImportTarget, source: Path, root: Path, force: bool = False,
                 on_case: Callable[[str], None] | None = None, poses: PoseMode = "auto",
                 dwpose_weights: Path | None = None) -> ImportReport:
    """Validate the user's copy, copy it into `<root>/<suite>` and write the lock manifest. Cases without
    poses get DWPose keypoints (written by a2bench into the suite folder) when the extractor can run.
    `force` replaces an earlier import, deleting only the files it recorded (a2bench.data.ownership)."""
    suite_dir = root / target.suite
    earlier = _earlier_import(suite_dir, force)
    require_writable_folder(root, ROOT_OPTION)
    remove_leftovers(root, target.suite)  # staging folders of imports killed earlier
    with tempfile.TemporaryDirectory(prefix=f".import-{target.suite}-", dir=root) as tmp:
        folder = source
        if source.is_file():
            from a2bench.data.archives import safe_extract

            folder = Path(tmp) / "extracted"
            safe_extract(source, folder)
            children = [p for p in folder.iterdir() if not p.name.startswith(".")]
            if len(children) == 1 and children[0].is_dir() and not (folder / "images").exists():
                folder = children[0]
        found = find_cases(folder)
        extract = _pose_extractor(poses, dwpose_weights) if any(c.poses is None for c in found) else None
        replace = None if earlier is None else (lambda old: remove_owned(old, earlier))
        with atomic_folder(suite_dir, replace=replace) as staging:
            manifest, warnings = _copy_cases(target, source, found, staging, Path(tmp), extract, on_case)
    return ImportReport(manifest, suite_dir, warnings)


def _copy_cases(target: ImportTarget, source: Path, found: list[FoundCase], staging: Path, tmp: Path,
                extract: Callable[[np.ndarray], PoseSequence] | None,
                on_case: Callable[[str], None] | None) -> tuple[Manifest, list[str]]:
    """Validate and copy every case into `staging`, write its lock manifest; the manifest and the warnings."""
    entries, warnings, shapes = [], [], set()
    for case in found:
        video = _validate(case)
        shapes.add((len(video), (int(video.shape[1]), int(video.shape[2]))))
        case_dir = staging / case.case_id
        case_dir.mkdir(parents=True)
        files = {"reference": _entry(case.reference, case_dir, f"reference{case.reference.suffix.lower()}", staging),
                 "ground_truth": _entry(case.video, case_dir, "video.mp4", staging)}
        if case.poses is not None:
            files["poses"] = _entry(case.poses, case_dir, "poses.npz", staging)
        elif extract is not None:
            extracted = save_poses(tmp / f"{case.case_id}-poses.npz", extract(video))
            files["poses"] = _entry(extracted, case_dir, "poses.npz", staging)
        entries.append(CaseEntry(id=case.case_id, files=files, tags={}))
        if on_case:
            on_case(case.case_id)
    if target.expected_cases and len(entries) != target.expected_cases:
        warnings.append(f"{len(entries)} cases imported; the {target.suite} test set has "
                        f"{target.expected_cases}. Numbers on this copy are not comparable with published ones.")
    without_poses = [e.id for e in entries if "poses" not in e.files]
    if without_poses:
        warnings.append(f"{len(without_poses)} case(s) have no poses.npz (e.g. '{without_poses[0]}') and DWPose "
                        "did not run: put its ONNX weights in place (see docs/poses.md) and re-import with "
                        "--force --poses extract.")
    frames, (height, width) = max(shapes)
    manifest = Manifest(
        suite=target.suite, version="local-1", description=target.description, license=target.license,
        sources=[Source(kind="local", location=str(source.resolve()), note="imported with a2bench data import")],
        settings=list(target.settings),
        protocol_defaults=ProtocolDefaults(resolution=(height, width), frames=frames, fps=8),
        cases=entries,
    )
    atomic_write(staging / LOCK_FILE, dump_manifest(manifest))
    return manifest, warnings
