"""Score predicted videos against ground truth: each video decoded and hashed once, feeding every metric.

A case is scored in two stages. Its host side (a2bench.casework: decode, hash, manifest check, alignment, pixel
metrics, the CPU part of each network's input pipeline) runs in worker processes ahead of the main process,
which runs the networks: LPIPS and CLIP per case, and the extractors of distribution metrics (FID, FID-VID,
FVD), whose per-video feature blocks are reduced over the whole set at the end. Metrics whose weights are
missing are skipped with the reason, never scored as zero.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from a2bench.casework import CasePlan, HostedCase, HostInput, HostPool, host_case
from a2bench.metrics.base import (
    CaseFrames,
    CaseMetric,
    DeclaredExtractor,
    DistributionMetric,
    ExtractorSpec,
    FeatureExtractor,
    FrameMetric,
    Metric,
    MetricContext,
    MissingInput,
    WeightsMissing,
)
from a2bench.metrics.bootstrap import DEFAULT_SEED, DISTRIBUTION_RESAMPLES, distribution_ci
from a2bench.metrics.cache import FeatureCache
from a2bench.metrics.frechet import FrechetDistance
from a2bench.metrics.protocol import Protocol
from a2bench.metrics.runtime import device_label, device_type, fast_float64
from a2bench.pairs import VideoPair
from a2bench.weights.store import require_present

__all__ = ["CaseScore", "FeatureBlocks", "MethodOutcome", "Scorer", "VideoPair", "score_pairs"]

Known = Callable[[str], Mapping[str, Any] | None]


@dataclass
class CaseScore:
    """Per-case metric values (a metric's mean over its items), the item count behind each, and the frames."""

    case_id: str
    frames: int
    values: dict[str, float] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    digests: dict[str, str | None] = field(default_factory=dict)


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
            try:  # every absent file the metric needs in one reason, with one fetch command
                require_present(list(metric.weights_names()), self.context.weights_dir)
            except WeightsMissing as exc:
                self.skipped[metric.name] = exc.line()
                continue
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
        """Each weights file's sha256 (hashed once, at prepare), whether it is random-initialised, and how the
        networks ran (execution tags: device, batch shape, layout) and where the set distances are computed."""
        recorded, executions = {}, {}
        for metric in self.case_metrics + self.distribution_metrics:
            recorded.update(metric.weights_provenance())
            for extractor in metric.extractors.values():
                executions[extractor.spec.network] = extractor.key.rsplit(":", 1)[1]
        if recorded:
            self.context.notes["weights"] = dict(sorted(recorded.items()))
            self.context.notes["execution"] = dict(sorted(executions.items()))
        if self.distribution_metrics:
            where = placed_distance(FrechetDistance(), self.context).device
            self.context.notes["set_distances"] = (f"float64, torch on {device_label(self.context)}" if where
                                                   else "float64, numpy on the host")
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

    def plan(self) -> CasePlan:
        """What each case's host side computes for the metrics still in the run."""
        host_metrics = tuple(m for m in self.case_metrics if not m.weights_names())
        device_metrics = [m for m in self.case_metrics if m.weights_names()]
        want = set()
        if any(isinstance(m, FrameMetric) for m in device_metrics):
            want |= {"aligned", "gt"}
        if any(not isinstance(m, FrameMetric) for m in device_metrics):
            want |= {"pred", "reference"}
        roles: dict[str, tuple[DeclaredExtractor, set[str]]] = {}
        for extractor in self.extractors.values():
            roles.setdefault(extractor.key, (extractor, set()))[1].update(("pred", "gt"))
        for metric in device_metrics:
            for extractor in metric.extractors.values():
                roles.setdefault(extractor.key, (extractor, set()))[1].update(("pred", "reference"))
        cache_root = self.cache.root if self.cache is not None else None
        inputs = tuple(HostInput(key, extractor.host_function(), tuple(sorted(used)), cache_root)
                       for key, (extractor, used) in roles.items())
        return CasePlan(self.protocol.alignment, host_metrics, inputs, tuple(sorted(want)))

    def _skip(self, metric: Metric, reason: str) -> None:
        """Drop a metric from this run for good: it is reported as skipped, never with a partial value."""
        self.skipped[metric.name] = reason
        if metric in self.case_metrics:
            self.case_metrics.remove(metric)  # type: ignore[arg-type]
        if metric in self.distribution_metrics:
            self.distribution_metrics.remove(metric)  # type: ignore[arg-type]

    def _rows(self, extractor: FeatureExtractor, role: str, hosted: HostedCase,
              frames: np.ndarray | None) -> np.ndarray:
        """A video's feature rows: from the cache, from the host part computed by a worker, or from its frames."""
        digest = hosted.digests[role]
        array = hosted.arrays.get(f"{extractor.key}:{role}")

        def compute() -> np.ndarray:
            if array is not None and isinstance(extractor, DeclaredExtractor):
                return extractor.extract_hosted(array)
            if frames is None:
                raise MissingInput(f"no {role} frames for {extractor.key}")
            return extractor.extract(frames)

        if self.cache is None:
            return np.asarray(compute(), dtype=np.float64)
        return self.cache.rows(extractor.key, digest, compute)

    def finish(self, hosted: HostedCase, known: Mapping[str, Any] | None = None
               ) -> tuple[CaseScore, dict[str, np.ndarray], dict[str, np.ndarray]]:
        """The device side of a case after its host side: network case metrics and feature rows."""
        for name, reason in hosted.skipped.items():
            if name.startswith("input:"):
                key = name.removeprefix("input:")
                for metric in [m for m in self.distribution_metrics if m.extractor().key == key]:
                    self._skip(metric, reason)
                for metric in [m for m in self.case_metrics if key in {e.key for e in m.extractors.values()}]:
                    self._skip(metric, reason)
            else:
                for metric in [m for m in self.case_metrics if m.name == name]:
                    self._skip(metric, reason)
        for name, seconds in hosted.seconds.items():
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds
        reuse = dict(known["values"]) if known and known.get("digests") == hosted.digests else {}
        arrays = hosted.arrays
        frames = {role: arrays.get(f"frames:{role}") for role in ("pred", "aligned", "gt", "reference")}

        def hook(extractor: FeatureExtractor, _frames: np.ndarray, role: str) -> np.ndarray:
            return self._rows(extractor, role, hosted, frames.get(role))

        empty = np.zeros((hosted.frames, 0, 0, 3), np.uint8)
        case = CaseFrames(hosted.pair.case_id, pred=_first(frames["pred"], empty),
                          aligned=_first(frames["aligned"], empty), gt=_first(frames["gt"], empty),
                          reference=frames["reference"], hook=hook)
        score = CaseScore(hosted.pair.case_id, hosted.frames, notes=list(hosted.notes), digests=hosted.digests)
        for metric in list(self.case_metrics):
            if metric.name in hosted.values:
                score.values[metric.name], score.items[metric.name] = hosted.values[metric.name]
                continue
            if metric.name in reuse:
                score.values[metric.name], score.items[metric.name] = reuse[metric.name]
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
                pred_features[key] = self._rows(extractor, "pred", hosted, frames["pred"])
                gt_features[key] = self._rows(extractor, "gt", hosted, frames["gt"])
            except MissingInput as exc:
                for metric in [m for m in self.distribution_metrics if m.extractor().key == key]:
                    self._skip(metric, exc.line())
            self._spent(key, started)
        return score, pred_features, gt_features

    def score(self, case_id: str, pred_path: Path, gt_path: Path, reference: Path | None = None
              ) -> tuple[CaseScore, dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Both stages of one case, inline."""
        return self.finish(host_case(VideoPair(case_id, pred_path, gt_path, reference), self.plan()))

    def _spent(self, name: str, started: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def distribution_results(self, blocks: FeatureBlocks, pool: HostPool | None = None) -> dict[str, dict[str, Any]]:
        """Value, bootstrap interval over videos and video count of each distribution metric (their time is the
        `set distances` stage)."""
        results = {}
        for metric in list(self.distribution_metrics):
            key = metric.extractor().key
            pred, gt = blocks.pred.get(key, []), blocks.gt.get(key, [])
            if not pred:
                continue
            distance, started = placed_distance(metric.distance_function(), self.context), time.perf_counter()
            try:
                with threadpool_limits(1):  # the value must not depend on how many threads this process has
                    value = distance(np.concatenate(pred), np.concatenate(gt))
            except MissingInput as exc:
                self._skip(metric, exc.line())
                continue
            interval = None
            if self.bootstrap_resamples:
                interval = distribution_ci(pred, gt, distance, seed=self.seed, resamples=self.bootstrap_resamples,
                                           pool=pool)
            self._spent("set distances", started)
            results[metric.name] = {"value": float(value), "ci95": list(interval) if interval else None,
                                    "n": len(pred)}
        return results


def placed_distance(distance: FrechetDistance, context: MetricContext) -> FrechetDistance:
    """A set distance in float64 on the GPU when the networks run on one with fast float64 (an A²Bench-size FID
    bootstrap resample takes seconds on a CPU core), else in numpy on the host, where its resamples go to the
    worker processes."""
    if device_type(context) == "cuda" and fast_float64(context):
        return replace(distance, device=context.torch_device())
    return distance


def _first(array: np.ndarray | None, default: np.ndarray) -> np.ndarray:
    return array if array is not None else default


@dataclass
class MethodOutcome:
    """Everything scored for one method: per-case values, distribution metric entries, skipped metrics."""

    cases: list[CaseScore]
    distribution: dict[str, dict[str, Any]]
    skipped: dict[str, str]


def score_pairs(pairs: Sequence[VideoPair], scorer: Scorer, on_case: Callable[[CaseScore], None] | None = None,
                workers: int = 0, known: Known | None = None) -> MethodOutcome:
    """Score every pair in case-id order (so results do not depend on the order given or on `workers`); the first
    unreadable or mismatched video raises with its path. `known(case_id)` returns what an earlier run stored for
    a case ({"digests", "values"}); values of cases decoded to the same digests are kept, not recomputed."""
    cases, blocks = [], FeatureBlocks()
    lookup = known or (lambda _case_id: None)
    with HostPool(workers) as pool:
        for hosted in pool.cases(sorted(pairs, key=lambda p: p.case_id), scorer.plan(), lookup):
            score, pred_features, gt_features = scorer.finish(hosted, lookup(hosted.pair.case_id))
            cases.append(score)
            blocks.add(pred_features, gt_features)
            if on_case:
                on_case(score)
        distribution = scorer.distribution_results(blocks, pool)
    return MethodOutcome(cases, distribution, dict(scorer.skipped))
