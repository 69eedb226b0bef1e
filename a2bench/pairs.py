"""What is scored: predicted videos paired with their ground truth (and reference image) by case id.

Pairs come from two folders matched by file stem, or from a suite under a setting, in which case every
ground-truth video and reference image carries the hash its manifest pins: the decoded content is checked
against it when the video is decoded for scoring, so an altered file is never scored under a clean
fingerprint. `--unverified` scores such files anyway and fingerprints the run from the files actually used.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from a2bench.data.hashing import file_sha256
from a2bench.data.settings import Expected, SuiteSetting
from a2bench.data.suites import Case, require_verified, restore_hint
from a2bench.errors import DataError, MatchError
from a2bench.video.io import FRAME_SUFFIXES, discover_videos, frame_files, unfollowable_link


@dataclass(frozen=True)
class ExpectedFiles:
    """The manifest hashes of a case's ground truth and reference image, and the command that restores them."""

    ground_truth: Expected
    reference: Expected | None
    restore: str

    def check(self, pair: VideoPair, digests: Mapping[str, str | None]) -> None:
        """DataError naming the file when the decoded ground truth or reference differs from the manifest.

        `digests` are the decoded-content digests computed once per video (a2bench.metrics.cache.frames_digest);
        files whose manifest pins their bytes are hashed as bytes."""
        checks = [(pair.gt, digests.get("gt"), self.ground_truth)]
        if self.reference is not None and pair.reference is not None:
            checks.append((pair.reference, digests.get("reference"), self.reference))
        for path, decoded, expected in checks:
            actual = decoded if expected.hash == "content" else file_sha256(path)
            if actual != expected.sha256:
                raise DataError("differs from the suite's manifest (altered or replaced); it was not scored",
                                path=path, fix=f"{self.restore}, or pass --unverified to score it anyway under an "
                                               "'unverified' fingerprint")


@dataclass(frozen=True)
class VideoPair:
    """A predicted video, its ground truth and (optionally) the reference image, under one case id."""

    case_id: str
    pred: Path
    gt: Path
    reference: Path | None = None
    expected: ExpectedFiles | None = None


def _names(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _require_folder(label: str, folder: Path | None) -> None:
    if folder is not None and not folder.is_dir():
        what = unfollowable_link(folder) or ("is not a folder" if folder.exists() else "does not exist")
        raise MatchError(f"{label} folder {what}", path=folder, fix="pass an existing folder")


def match_folders(pred_dir: Path, gt_dir: Path, ref_dir: Path | None = None) -> list[VideoPair]:
    """Pair videos by file stem; every prediction needs a ground truth and vice versa."""
    for label, folder in (("predictions", pred_dir), ("ground truth", gt_dir), ("references", ref_dir)):
        _require_folder(label, folder)
    preds, gts = discover_videos(pred_dir), discover_videos(gt_dir)
    if not gts:
        raise MatchError("no videos (.mp4 files or frame folders) found", path=gt_dir,
                         fix="point --gt at the folder holding the ground-truth videos")
    if not preds:
        raise MatchError("no videos (.mp4 files or frame folders) found", path=pred_dir,
                         fix="point --pred at the folder holding the generated videos")
    missing_gt = sorted(set(preds) - set(gts))
    if missing_gt:
        raise MatchError(f"no ground truth for {_names(missing_gt)}", path=gt_dir,
                         fix="name each prediction like its ground-truth video (same file stem)")
    missing_pred = sorted(set(gts) - set(preds))
    if missing_pred:
        raise MatchError(f"no prediction for {_names(missing_pred)}", path=pred_dir,
                         fix="generate the missing videos or remove their ground truth from --gt")
    references = _reference_images(ref_dir, sorted(gts)) if ref_dir else {}
    return [VideoPair(stem, preds[stem], gts[stem], references.get(stem)) for stem in sorted(gts)]


def match_suite(pred_dir: Path, target: SuiteSetting, verify: bool = True) -> list[VideoPair]:
    """Pair predictions with a suite's ground truth (and reference images) under a setting, by case id; files
    that are not cases and cases without a file are listed together in one error."""
    suite = target.suite
    _require_folder("predictions", pred_dir)
    preds = discover_videos(pred_dir)
    cases = _scored_cases(target)
    unknown, missing = sorted(set(preds) - set(cases)), sorted(set(cases) - set(preds))
    if unknown or missing:
        problems = ([f"{_names(unknown)} are not cases of {suite.name}"] if unknown else []) + \
                   ([f"no prediction for {_names(missing)}"] if missing else [])
        raise MatchError("; ".join(problems), path=pred_dir,
                         fix=f"name each video after its case id (see {suite.folder}) and generate every case")
    return suite_pairs(target, preds, verify)


def _scored_cases(target: SuiteSetting) -> dict[str, Case]:
    cases = {case.id: case for case in target.cases if case.ground_truth is not None}
    if not cases:
        raise MatchError(f"suite '{target.suite.name}' has no ground-truth videos", path=target.suite.folder,
                         fix=restore_hint(target.suite.manifest))
    return cases


def suite_pairs(target: SuiteSetting, preds: Mapping[str, Path], verify: bool = True) -> list[VideoPair]:
    """Pairs of the given predictions (by case id, each a case of the setting) with the setting's ground truth
    and reference images, each carrying the manifest's hashes when `verify`."""
    suite = target.suite
    cases = _scored_cases(target)
    require_verified(suite, full=False)
    restore = restore_hint(suite.manifest)
    pairs = []
    for case_id in sorted(preds):
        case = cases[case_id]
        expected = None
        if verify:
            expected = ExpectedFiles(target.expected[(case_id, "ground_truth")],
                                     target.expected.get((case_id, "reference")), restore)
        pairs.append(VideoPair(case_id, preds[case_id], case.ground_truth, case.reference,  # type: ignore[arg-type]
                               expected))
    return pairs


def files_fingerprint(pairs: Sequence[VideoPair], label: str) -> str:
    """A fingerprint of the ground-truth and reference files actually scored (their bytes): for folders, and for
    suites scored with --unverified, where it differs from the suite's whenever any file differs."""
    digest = hashlib.sha256(f"{label}\n".encode())
    for pair in sorted(pairs, key=lambda p: p.case_id):
        for role, path in (("ground_truth", pair.gt), ("reference", pair.reference)):
            if path is None:
                continue
            files = frame_files(path) if path.is_dir() else [path]
            for file in files:
                digest.update(f"{pair.case_id}/{role}/{file.name}:{file_sha256(file)}\n".encode())
    return digest.hexdigest()


def _reference_images(ref_dir: Path, stems: list[str]) -> dict[str, Path]:
    images = {p.stem: p for p in ref_dir.iterdir() if p.suffix.lower() in FRAME_SUFFIXES}
    missing = [stem for stem in stems if stem not in images]
    if missing:
        raise MatchError(f"no reference image for {_names(missing)}", path=ref_dir,
                         fix="put one <case>.png per ground-truth video in --ref")
    return images
