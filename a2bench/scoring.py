"""Score predicted videos against ground truth: decode each video once, align, feed every metric."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from a2bench.errors import MatchError
from a2bench.metrics.base import Metric
from a2bench.metrics.protocols import Protocol
from a2bench.video.io import discover_videos, read_video


@dataclass(frozen=True)
class VideoPair:
    """A predicted video and its ground truth, under one case id."""

    case_id: str
    pred: Path
    gt: Path


@dataclass
class CaseScore:
    """Per-case metric values (mean over the case's frames) and the frame count they cover."""

    case_id: str
    frames: int
    values: dict[str, float] = field(default_factory=dict)


def match_folders(pred_dir: Path, gt_dir: Path) -> list[VideoPair]:
    """Pair videos by file stem; every prediction needs a ground truth and vice versa."""
    for label, folder in (("predictions", pred_dir), ("ground truth", gt_dir)):
        if not folder.is_dir():
            raise MatchError(f"{label} folder does not exist", path=folder, fix="pass an existing folder")
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
    return [VideoPair(stem, preds[stem], gts[stem]) for stem in sorted(gts)]


def _names(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def score_frames(case_id: str, pred: np.ndarray, gt: np.ndarray, protocol: Protocol,
                 metrics: Sequence[Metric], pred_path: Path | None = None) -> CaseScore:
    """Metric values for one case from decoded frames (the prediction is aligned to the ground truth)."""
    if len(pred) != len(gt):
        raise MatchError(f"{len(pred)} frames, but its ground truth has {len(gt)}", path=pred_path or case_id,
                         fix="generate as many frames as the ground truth has (or trim both to the same length)")
    aligned = protocol.align(pred, gt)
    return CaseScore(case_id, len(gt), {metric.name: float(np.mean(metric.per_frame(aligned, gt)))
                                        for metric in metrics})


def score_pair(pair: VideoPair, protocol: Protocol, metrics: Sequence[Metric]) -> CaseScore:
    """Decode both videos once and score them with every metric."""
    return score_frames(pair.case_id, read_video(pair.pred), read_video(pair.gt), protocol, metrics, pair.pred)


def score_pairs(pairs: Sequence[VideoPair], protocol: Protocol, metrics: Sequence[Metric],
                on_case: Callable[[CaseScore], None] | None = None) -> list[CaseScore]:
    """Score every pair in order; the first unreadable or mismatched video raises with its path."""
    scores = []
    for pair in pairs:
        score = score_pair(pair, protocol, metrics)
        scores.append(score)
        if on_case:
            on_case(score)
    return scores
