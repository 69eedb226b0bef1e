"""Score predicted videos against ground truth: decode each video once and feed every metric.

Case and frame metrics give per-case values (each with its item count, reduced as the metric declares);
distribution metrics (FID, FID-VID, FVD) collect one feature block per video from extractors shared by every
metric that declares the same one, and are computed over the whole set at the end. Metrics whose weights
are missing are skipped with the reason, never scored as zero.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from a2bench.errors import MatchError
from a2bench.metrics.base import (
    CaseFrames,
    CaseMetric,
    DeclaredExtractor,
    DistributionMetric,
    ExtractorSpec,
    FeatureExtractor,
    Metric,
    MetricContext,
    MissingInput,
    WeightsMissing,
)
from a2bench.metrics.bootstrap import DEFAULT_SEED, DISTRIBUTION_RESAMPLES, distribution_ci
from a2bench.metrics.cache import FeatureCache, frames_digest
from a2bench.metrics.protocol import Protocol
from a2bench.pairs import VideoPair
from a2bench.video.io import read_image, read_video

__all__ = ["CaseScore", "DecodedCase", "FeatureBlocks", "MethodOutcome", "Scorer", "VideoPair", "decoded_pairs",
           "score_pairs"]


@dataclass
class CaseScore:
    """Per-case metric values (a metric's mean over its items), the item count behind each, and the frames."""

    case_id: str
    frames: int
    values: dict[str, float] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


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


@dataclass(frozen=True)
class DecodedCase:
    """A pair decoded once, with the digest of each decoded video (feature-cache keys, resume checks)."""

    pair: VideoPair
    pred: np.ndarray
    gt: np.ndarray
    reference: np.ndarray | None
    pred_digest: str
    gt_digest: str
    reference_digest: str | None


class Scorer:
    """Prepares the metrics once (skipping those without weights) and scores one case at a time."""

    def __init__(self, protocol: Protocol, metrics: Sequence[Metric], context: MetricContext | None = None,
                 cache: FeatureCache | None = None, seed: int = DEFAULT_SEED,
                 bootstrap_resamples: int = DISTRIBUTION_RESAMPLES):
        self.protocol = protocol
        self.metrics = list(metrics)
        self.context = context or MetricContext()
        self.cache = cache
        self.seed = seed
        self.bootstrap_resamples = bootstrap_resamples
        self.skipped: dict[str, str] = {}
        self.seconds: dict[str, float] = {}  # time spent per metric (shared extractors: per extractor key)
        self.case_metrics: list[CaseMetric] = []
        self.distribution_metrics: list[DistributionMetric] = []
        shared = self._prepare_extractors()
        for metric in self.metrics:
            missing = next((reason for spec, reason in shared.items()
                            if isinstance(reason, str) and spec in metric.extractor_specs()), None)
            if missing:
                self.skipped[metric.name] = missing
                continue
            try:
                metric.prepare(self.context, {spec: e for spec, e in shared.items() if not isinstance(e, str)})
            except WeightsMissing as exc:
                self.skipped[metric.name] = exc.line()
                continue
            if isinstance(metric, DistributionMetric):
                self.distribution_metrics.append(metric)
            else:
                self.case_metrics.append(metric)  # type: ignore[arg-type]
        self._record_weights()

    def _prepare_extractors(self) -> dict[ExtractorSpec, DeclaredExtractor | str]:
        """One prepared extractor per declared spec (or the reason it cannot be prepared)."""
        prepared: dict[ExtractorSpec, DeclaredExtractor | str] = {}
        for spec in dict.fromkeys(s for metric in self.metrics for s in metric.extractor_specs()):
            extractor = spec.build()
            try:
                extractor.prepare(self.context)
            except WeightsMissing as exc:
                prepared[spec] = exc.line()
                continue
            prepared[spec] = extractor
        return prepared

    def _record_weights(self) -> None:
        """Each weights file's sha256 (hashed once, at prepare) and whether it is random-initialised."""
        recorded = {}
        for metric in self.case_metrics + self.distribution_metrics:
            recorded.update(metric.weights_provenance())
        if recorded:
            self.context.notes["weights"] = dict(sorted(recorded.items()))
        if any(entry["uncalibrated"] for entry in recorded.values()):
            self.context.notes["uncalibrated"] = True

    @property
    def weights(self) -> dict[str, str]:
        """sha256 of every weights file in use, by name (part of a run's identity)."""
        return {name: entry["sha256"] for name, entry in self.context.notes.get("weights", {}).items()}

    @property
    def extractors(self) -> dict[str, DeclaredExtractor]:
        """The distribution metrics' extractors by key, each once."""
        return {m.extractor().key: m.extractor() for m in self.distribution_metrics}

    def _features(self, extractor: FeatureExtractor, frames: np.ndarray, digest: str | None = None) -> np.ndarray:
        if self.cache is None:
            return extractor.extract(frames)
        return self.cache.features(extractor, frames, digest)

    def _skip(self, metric: Metric, reason: str) -> None:
        """Drop a metric from this run for good: it is reported as skipped, never with a partial value."""
        self.skipped[metric.name] = reason
        if metric in self.case_metrics:
            self.case_metrics.remove(metric)  # type: ignore[arg-type]
        if metric in self.distribution_metrics:
            self.distribution_metrics.remove(metric)  # type: ignore[arg-type]

    def score(self, case_id: str, pred: np.ndarray, gt: np.ndarray, reference: np.ndarray | None = None,
              pred_path: Path | None = None, digests: Mapping[str, str | None] | None = None,
              known: Mapping[str, tuple[float, int]] | None = None
              ) -> tuple[CaseScore, dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Per-case values and the feature rows of the prediction and the ground truth, by extractor key.

        `digests` (of pred, gt, reference) name the decoded videos for the feature cache; `known` holds values
        already scored for this very case (a resume), which are kept instead of computed again.
        """
        if len(pred) != len(gt):
            raise MatchError(f"{len(pred)} frames, but its ground truth has {len(gt)}", path=pred_path or case_id,
                             fix="generate as many frames as the ground truth has (or trim both to the same length)")
        digests = dict(digests or {})

        def hook(extractor: FeatureExtractor, frames: np.ndarray, role: str) -> np.ndarray:
            return self._features(extractor, frames, digests.get(role))

        case = CaseFrames(case_id, pred=pred, aligned=self.protocol.align(pred, gt), gt=gt,
                          reference=reference, hook=hook)
        score = CaseScore(case_id, len(gt), notes=self.protocol.alignment.notes(pred.shape, gt.shape))
        for metric in list(self.case_metrics):
            if known and metric.name in known:
                score.values[metric.name], score.items[metric.name] = known[metric.name]
                continue
            started = time.perf_counter()
            try:
                score.values[metric.name], score.items[metric.name] = \
                    metric.reduction.case_value(metric.case_values(case))
            except MissingInput as exc:
                self._skip(metric, exc.line())
            self._spent(metric.name, started)
        pred_features, gt_features = {}, {}
        for key, extractor in self.extractors.items():
            started = time.perf_counter()
            try:
                pred_features[key] = self._features(extractor, pred, digests.get("pred"))
                gt_features[key] = self._features(extractor, gt, digests.get("gt"))
            except MissingInput as exc:
                for metric in [m for m in self.distribution_metrics if m.extractor().key == key]:
                    self._skip(metric, exc.line())
            self._spent(key, started)
        return score, pred_features, gt_features

    def _spent(self, name: str, started: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def distribution_results(self, blocks: FeatureBlocks) -> dict[str, dict[str, Any]]:
        """Value, bootstrap interval over videos and video count of each distribution metric."""
        results = {}
        for metric in list(self.distribution_metrics):
            key = metric.extractor().key
            pred, gt = blocks.pred.get(key, []), blocks.gt.get(key, [])
            if not pred:
                continue
            try:
                value = metric.distance(np.concatenate(pred), np.concatenate(gt))
            except MissingInput as exc:
                self._skip(metric, exc.line())
                continue
            interval = distribution_ci(pred, gt, metric.distance, seed=self.seed,
                                       resamples=self.bootstrap_resamples) if self.bootstrap_resamples else None
            results[metric.name] = {"value": float(value), "ci95": list(interval) if interval else None,
                                    "n": len(pred)}
        return results


def decode_case(pair: VideoPair) -> DecodedCase:
    """Decode a pair's videos once, hash what was decoded, and check the ground truth against its manifest."""
    pred, gt = read_video(pair.pred), read_video(pair.gt)
    reference = read_image(pair.reference) if pair.reference else None
    if pair.expected is not None:
        pair.expected.check(pair, gt, reference)
    return DecodedCase(pair, pred, gt, reference, frames_digest(pred), frames_digest(gt),
                       frames_digest(reference) if reference is not None else None)


def decoded_pairs(pairs: Sequence[VideoPair], workers: int = 0) -> Iterator[DecodedCase]:
    """Decode each pair once, in order; with workers > 0, decode ahead in background threads."""
    if workers <= 0:
        yield from map(decode_case, pairs)
        return
    remaining = iter(pairs)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        queue = deque(pool.submit(decode_case, pair) for pair in islice(remaining, workers + 1))
        while queue:
            decoded = queue.popleft().result()
            following = next(remaining, None)
            if following is not None:
                queue.append(pool.submit(decode_case, following))
            yield decoded


@dataclass
class MethodOutcome:
    """Everything scored for one method: per-case values, distribution metric entries, skipped metrics."""

    cases: list[CaseScore]
    distribution: dict[str, dict[str, Any]]
    skipped: dict[str, str]


def score_pairs(pairs: Sequence[VideoPair], scorer: Scorer, on_case: Callable[[CaseScore], None] | None = None,
                workers: int = 0, known: Callable[[DecodedCase], Mapping[str, tuple[float, int]]] | None = None
                ) -> MethodOutcome:
    """Score every pair in case-id order (so results do not depend on the order given); the first unreadable or
    mismatched video raises with its path. `known(decoded)` returns values already stored for a case."""
    cases, blocks = [], FeatureBlocks()
    for decoded in decoded_pairs(sorted(pairs, key=lambda p: p.case_id), workers):
        pair = decoded.pair
        digests = {"pred": decoded.pred_digest, "gt": decoded.gt_digest, "reference": decoded.reference_digest}
        score, pred_features, gt_features = scorer.score(pair.case_id, decoded.pred, decoded.gt, decoded.reference,
                                                         pair.pred, digests, known(decoded) if known else None)
        cases.append(score)
        blocks.add(pred_features, gt_features)
        if on_case:
            on_case(score)
    return MethodOutcome(cases, scorer.distribution_results(blocks), dict(scorer.skipped))

