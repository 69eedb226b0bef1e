"""Run directories built directly through the store from chosen per-case values and feature rows, so report and
compare tests need no video scoring: the run is what `evaluate --out` would have stored."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from a2bench.metrics.base import FeatureExtractor
from a2bench.metrics.cache import FeatureCache
from a2bench.metrics.registry import get_protocol
from a2bench.provenance import collect
from a2bench.results import protocol_record
from a2bench.scoring import CaseScore
from a2bench.store import STORE_FILE, Store

FINGERPRINT = "a1" * 32
EXTRACTOR_KEY = "test-features:identity:0"


class _Rows(FeatureExtractor):
    """Hands the cache the rows a test chose (the cache stores them under the digest given)."""

    def __init__(self, rows: np.ndarray):
        self.rows = rows

    @property
    def key(self) -> str:
        return EXTRACTOR_KEY

    def extract(self, frames: np.ndarray) -> np.ndarray:
        return self.rows


def make_run(path: Path, per_case: Mapping[str, Mapping[str, Mapping[str, float]]], *, setting: str = "self",
             derive_seed: int = 0, suite: str | None = "synth-mini", fingerprint: str = FINGERPRINT,
             protocol: str = "animatex-paper",
             frames: Mapping[str, int] | None = None, tags: Mapping[str, Mapping[str, str]] | None = None,
             files: Mapping[str, Mapping[str, str]] | None = None,
             videos: Mapping[str, Mapping[str, str]] | None = None,
             features: Mapping[str, Mapping[str, Mapping[str, tuple[np.ndarray, np.ndarray]]]] | None = None,
             cache_dir: Path | None = None, skipped: Mapping[str, Mapping[str, str]] | None = None,
             weights: Mapping[str, str] | None = None, uncalibrated: bool = False,
             cases: list[str] | None = None) -> Path:
    """A run directory whose store holds, per method, these per-case values ({method: {case: {metric: v}}}), set
    metrics computed from `features` ({method: {metric: {case: (pred rows, gt rows)}}}, cached under
    `cache_dir`) and `skipped` metrics ({method: {metric: reason}}). Cases default to every case scored. A derived
    setting records its derivation and `derive_seed`, as `evaluate --suite S --setting …` does."""
    definition = get_protocol(protocol)
    names = list(dict.fromkeys([m for values in per_case.values() for case in values.values() for m in case]
                               + [m for blocks in (features or {}).values() for m in blocks]
                               + [m for reasons in (skipped or {}).values() for m in reasons]))
    names = [m for m in definition.metric_names() if m in names]
    metrics = definition.resolve(names)
    suite_block = {"id": suite, "fingerprint": fingerprint, "setting": setting, "verified": True} if suite else None
    if suite_block and setting != "self":
        suite_block.update(derivation=_digest(f"{setting}/{derive_seed}"), derivation_seed=derive_seed)
    identity = {"protocol": definition.id, "protocol_version": definition.version,
                "protocol_digest": definition.digest(), "suite": suite_block,
                "ground_truth": None if suite else fingerprint, "metrics": names, "device_type": "cpu",
                "mode": "exact", "weights": dict(weights or {})}
    extra: dict[str, Any] = {"bootstrap_resamples": 0, "device": "cpu"}
    if weights:
        extra["weights"] = {name: {"file": f"{name}.pth", "sha256": sha, "uncalibrated": uncalibrated}
                            for name, sha in weights.items()}
    if uncalibrated:
        extra["uncalibrated"] = True
    cache = FeatureCache(cache_dir) if cache_dir else None
    all_cases = cases or sorted({c for values in per_case.values() for c in values}
                                | {c for blocks in (features or {}).values() for b in blocks.values() for c in b})
    with Store(path / STORE_FILE) as store:
        run_id = store.open_run(identity, protocol_record(definition, metrics), collect({"bootstrap": 0}, extra),
                                lambda stored, new: stored, lambda stored, new: stored)
        store.record_run_cases(run_id, {c: {"tags": dict((tags or {}).get(c, {})),
                                            "files": dict((files or {}).get(c, {}))} for c in all_cases})
        for method in dict.fromkeys([*per_case, *(features or {}), *(skipped or {})]):
            store.note_method(run_id, method, {"cache_dir": str(cache_dir) if cache_dir else None})
            blocks = (features or {}).get(method, {})
            scored = sorted(set(per_case.get(method, {})) | {c for b in blocks.values() for c in b})
            for case in scored:
                values = dict(per_case.get(method, {}).get(case, {}))
                count = (frames or {}).get(case, 8)
                score = CaseScore(case, count, values, {m: count for m in values})
                digests = {"pred": _digest(f"{method}/{case}"), "gt": _digest(f"gt/{case}"), "reference": None}
                pred_path = (videos or {}).get(method, {}).get(case)
                store.record_case(run_id, method, score, digests, 0, Path(pred_path) if pred_path else None)
                recorded = []
                for metric, by_case in blocks.items():
                    if case in by_case:
                        pred_digest = _digest(f"{path}/{method}/{metric}/{case}/pred")
                        gt_digest = _digest(f"{metric}/{case}/gt")
                        assert cache is not None, "features need a cache_dir"
                        cache.features(_Rows(by_case[case][0]), np.zeros(1), pred_digest)
                        cache.features(_Rows(by_case[case][1]), np.zeros(1), gt_digest)
                        recorded.append((metric, EXTRACTOR_KEY, pred_digest, gt_digest))
                store.record_features(run_id, method, case, recorded)
            distribution = {}
            for metric, by_case in blocks.items():
                distance = definition.get_metric(metric).distance
                ordered = [by_case[c] for c in sorted(by_case)]
                value = distance(np.concatenate([p for p, _ in ordered]), np.concatenate([g for _, g in ordered]))
                distribution[metric] = {"value": value, "ci95": None, "n": len(ordered)}
            store.record_set_values(run_id, method, distribution, dict((skipped or {}).get(method, {})))
    return path


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
