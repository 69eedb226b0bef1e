"""Score predicted videos against ground truth: decode each video once and feed every metric.

Frame and case metrics give per-case values; distribution metrics (FID, FID-VID, FVD) collect one
feature block per video from shared extractors and are computed over the whole set at the end.
Metrics whose weights are missing are skipped with the reason, never scored as zero.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from a2bench.data.suites import Suite, require_verified, restore_hint
from a2bench.errors import MatchError
from a2bench.metrics.base import (
    CaseFrames,
    CaseMetric,
    DistributionMetric,
    FeatureExtractor,
    Metric,
    MetricContext,
    MissingInput,
    WeightsMissing,
)
from a2bench.metrics.bootstrap import DEFAULT_SEED, DISTRIBUTION_RESAMPLES, distribution_ci
from a2bench.metrics.protocols import Protocol
from a2bench.video.io import discover_videos, read_image, read_video


@dataclass(frozen=True)
class VideoPair:
    """A predicted video, its ground truth and (optionally) the reference image, under one case id."""

    case_id: str
    pred: Path
    gt: Path
    reference: Path | None = None


@dataclass
class CaseScore:
    """Per-case metric values (mean over the case's frames) and the frame count they cover."""

    case_id: str
    frames: int
    values: dict[str, float] = field(default_factory=dict)


@dataclass
class FeatureBlocks:
    """Per-video feature rows of the prediction and ground-truth sets, by extractor key, in case order."""

    pred: dict[str, list[np.ndarray]] = field(default_factory=dict)
    gt: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, pred: dict[str, np.ndarray], gt: dict[str, np.ndarray]) -> None:
        for key, rows in pred.items():
            self.pred.setdefault(key, []).append(rows)
        for key, rows in gt.items():
            self.gt.setdefault(key, []).append(rows)


def match_folders(pred_dir: Path, gt_dir: Path, ref_dir: Path | None = None) -> list[VideoPair]:
    """Pair videos by file stem; every prediction needs a ground truth and vice versa."""
    for label, folder in (("predictions", pred_dir), ("ground truth", gt_dir), ("references", ref_dir)):
        if folder is not None and not folder.is_dir():
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
    references = _reference_images(ref_dir, sorted(gts)) if ref_dir else {}
    return [VideoPair(stem, preds[stem], gts[stem], references.get(stem)) for stem in sorted(gts)]


def match_suite(pred_dir: Path, suite: Suite) -> list[VideoPair]:
    """Pair predictions with a suite's ground truth (and reference images) by case id."""
    if not pred_dir.is_dir():
        raise MatchError("predictions folder does not exist", path=pred_dir, fix="pass an existing folder")
    preds = discover_videos(pred_dir)
    cases = {case.id: case for case in suite.cases() if case.ground_truth is not None}
    if not cases:
        raise MatchError(f"suite '{suite.name}' has no ground-truth videos", path=suite.folder,
                         fix=restore_hint(suite.manifest))
    unknown = sorted(set(preds) - set(cases))
    if unknown:
        raise MatchError(f"{_names(unknown)} are not cases of {suite.name}", path=pred_dir,
                         fix=f"name each video after its case id (see {suite.folder})")
    missing = sorted(set(cases) - set(preds))
    if missing:
        raise MatchError(f"no prediction for {_names(missing)}", path=pred_dir,
                         fix=f"generate every case of {suite.name}")
    require_verified(suite, full=False)
    return [VideoPair(case_id, preds[case_id], case.ground_truth, case.reference)  # type: ignore[arg-type]
            for case_id, case in sorted(cases.items())]


def _reference_images(ref_dir: Path, stems: list[str]) -> dict[str, Path]:
    images = {p.stem: p for p in ref_dir.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg")}
    missing = [stem for stem in stems if stem not in images]
    if missing:
        raise MatchError(f"no reference image for {_names(missing)}", path=ref_dir,
                         fix="put one <case>.png per ground-truth video in --ref")
    return images


def _names(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


FeatureFunction = Callable[[FeatureExtractor, np.ndarray], np.ndarray]


def _compute_features(extractor: FeatureExtractor, frames: np.ndarray) -> np.ndarray:
    return extractor.extract(frames)


class Scorer:
    """Prepares the metrics once (skipping those without weights) and scores one case at a time."""

    def __init__(self, protocol: Protocol, metrics: Sequence[Metric], context: MetricContext | None = None,
                 features: FeatureFunction | None = None, seed: int = DEFAULT_SEED,
                 bootstrap_resamples: int = DISTRIBUTION_RESAMPLES):
        self.protocol = protocol
        self.metrics = list(metrics)
        self.context = context or MetricContext()
        self.features = features or _compute_features
        self.seed = seed
        self.bootstrap_resamples = bootstrap_resamples
        self.skipped: dict[str, str] = {}
        self.seconds: dict[str, float] = {}  # time spent per metric (shared extractors: per extractor key)
        self.case_metrics: list[CaseMetric] = []
        self.distribution_metrics: list[DistributionMetric] = []
        for metric in self.metrics:
            try:
                metric.prepare(self.context)
            except WeightsMissing as exc:
                self.skipped[metric.name] = exc.line()
                continue
            self._record_weights(metric)
            if isinstance(metric, DistributionMetric):
                self.distribution_metrics.append(metric)
            else:
                self.case_metrics.append(metric)  # type: ignore[arg-type]
        self.extractors = {m.extractor().key: m.extractor() for m in self.distribution_metrics}

    def _record_weights(self, metric: Metric) -> None:
        """Note each weights file's sha256 in the provenance, and whether it is random-initialised."""
        if not metric.weights:
            return
        from a2bench.weights.store import file_sha256, is_uncalibrated, resolve

        recorded = self.context.notes.setdefault("weights", {})
        for name in metric.weights:
            path = resolve(name, self.context.weights_dir)
            uncalibrated = is_uncalibrated(path, self.context.weights_dir)
            recorded[name] = {"file": path.name, "sha256": file_sha256(path), "uncalibrated": uncalibrated}
            if uncalibrated:
                self.context.notes["uncalibrated"] = True

    def _skip(self, metric: Metric, reason: str) -> None:
        """Drop a metric from this run for good: it is reported as skipped, never with a partial value."""
        self.skipped[metric.name] = reason
        if metric in self.case_metrics:
            self.case_metrics.remove(metric)  # type: ignore[arg-type]
        if metric in self.distribution_metrics:
            self.distribution_metrics.remove(metric)  # type: ignore[arg-type]
            self.extractors = {m.extractor().key: m.extractor() for m in self.distribution_metrics}

    def score(self, case_id: str, pred: np.ndarray, gt: np.ndarray, reference: np.ndarray | None = None,
              pred_path: Path | None = None) -> tuple[CaseScore, dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Per-case values and the feature rows of the prediction and the ground truth, by extractor key."""
        if len(pred) != len(gt):
            raise MatchError(f"{len(pred)} frames, but its ground truth has {len(gt)}", path=pred_path or case_id,
                             fix="generate as many frames as the ground truth has (or trim both to the same length)")
        case = CaseFrames(case_id, pred=pred, aligned=self.protocol.align(pred, gt), gt=gt, reference=reference)
        values = {}
        for metric in list(self.case_metrics):
            started = time.perf_counter()
            try:
                values[metric.name] = float(np.mean(metric.case_values(case)))
            except MissingInput as exc:
                self._skip(metric, exc.line())
            self._spent(metric.name, started)
        pred_features, gt_features = {}, {}
        for key, extractor in list(self.extractors.items()):
            started = time.perf_counter()
            try:
                pred_features[key] = self.features(extractor, pred)
                gt_features[key] = self.features(extractor, gt)
            except MissingInput as exc:
                for metric in [m for m in self.distribution_metrics if m.extractor().key == key]:
                    self._skip(metric, exc.line())
            self._spent(key, started)
        return CaseScore(case_id, len(gt), values), pred_features, gt_features

    def _spent(self, name: str, started: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def distribution_results(self, blocks: FeatureBlocks) -> dict[str, dict[str, Any]]:
        """Value, bootstrap interval over videos and video count of each distribution metric."""
        results = {}
        for metric in self.distribution_metrics:
            key = metric.extractor().key
            pred, gt = blocks.pred.get(key, []), blocks.gt.get(key, [])
            if not pred:
                continue
            try:
                value = metric.distance(np.concatenate(pred), np.concatenate(gt))
            except MissingInput as exc:
                self.skipped[metric.name] = exc.line()
                continue
            interval = distribution_ci(pred, gt, metric.distance, seed=self.seed,
                                       resamples=self.bootstrap_resamples) if self.bootstrap_resamples else None
            results[metric.name] = {"value": float(value), "ci95": list(interval) if interval else None,
                                    "n": len(pred)}
        return results


def decoded_pairs(pairs: Sequence[VideoPair], workers: int = 0
                  ) -> Iterator[tuple[VideoPair, np.ndarray, np.ndarray, np.ndarray | None]]:
    """Decode each pair once, in order; with workers > 0, decode ahead in background threads."""

    def decode(pair: VideoPair) -> tuple[VideoPair, np.ndarray, np.ndarray, np.ndarray | None]:
        reference = read_image(pair.reference) if pair.reference else None
        return pair, read_video(pair.pred), read_video(pair.gt), reference

    if workers <= 0:
        yield from map(decode, pairs)
        return
    remaining = iter(pairs)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        queue = deque(pool.submit(decode, pair) for pair in islice(remaining, workers + 1))
        while queue:
            decoded = queue.popleft().result()
            following = next(remaining, None)
            if following is not None:
                queue.append(pool.submit(decode, following))
            yield decoded


@dataclass
class MethodOutcome:
    """Everything scored for one method: per-case values, distribution metric entries, skipped metrics."""

    cases: list[CaseScore]
    distribution: dict[str, dict[str, Any]]
    skipped: dict[str, str]


def score_pairs(pairs: Sequence[VideoPair], scorer: Scorer, on_case: Callable[[CaseScore], None] | None = None,
                workers: int = 0) -> MethodOutcome:
    """Score every pair in case-id order (so results do not depend on the order given); the first unreadable or
    mismatched video raises with its path."""
    cases, blocks = [], FeatureBlocks()
    for pair, pred, gt, reference in decoded_pairs(sorted(pairs, key=lambda p: p.case_id), workers):
        score, pred_features, gt_features = scorer.score(pair.case_id, pred, gt, reference, pair.pred)
        cases.append(score)
        blocks.add(pred_features, gt_features)
        if on_case:
            on_case(score)
    return MethodOutcome(cases, scorer.distribution_results(blocks), dict(scorer.skipped))
