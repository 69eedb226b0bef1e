"""The results document (results.json): its shape, aggregation of case scores, and atomic I/O.

Shape: {"protocol": {"id", "version"}, "suite": {"id", "fingerprint", "setting"} | null,
"provenance": {...}, "metric_info": {METRIC: {"label", "higher_is_better"}},
"methods": {NAME: {"metrics": {METRIC: {"value", "ci95": [lo, hi] | null, "n"}},
"per_case": {CASE: {METRIC: value}}}}}. `n` counts cases (videos); frame and case metrics are
frame-weighted means; a metric that could not run has value null and a "skipped" reason.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from a2bench.errors import A2BenchError
from a2bench.metrics.base import Metric
from a2bench.metrics.bootstrap import DEFAULT_SEED, frame_weighted_ci
from a2bench.metrics.protocols import Protocol
from a2bench.scoring import CaseScore, MethodOutcome

RESULTS_FILE = "results.json"


def aggregate(scores: Sequence[CaseScore], metric: str, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """Frame-weighted mean over all frames of the cases, its bootstrap 95% interval and the case count."""
    scored = [s for s in scores if metric in s.values]
    means = np.array([s.values[metric] for s in scored], dtype=np.float64)
    frames = np.array([s.frames for s in scored], dtype=np.float64)
    value = float((means * frames).sum() / frames.sum()) if scored else None
    interval = frame_weighted_ci(means, frames, seed=seed) if scored else None
    return {"value": value, "ci95": list(interval) if interval else None, "n": len(scored)}


def skipped_entry(reason: str) -> dict[str, Any]:
    """A metric that could not run: no value, and the reason (with the command that fixes it)."""
    return {"value": None, "ci95": None, "n": 0, "skipped": reason}


def method_entry(outcome: MethodOutcome, metrics: Sequence[str], seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """One method's block: aggregated metrics (distribution metrics as computed, skipped ones marked) and
    per-case values."""
    entries = {}
    for name in metrics:
        if name in outcome.skipped:
            entries[name] = skipped_entry(outcome.skipped[name])
        elif name in outcome.distribution:
            entries[name] = outcome.distribution[name]
        else:
            entries[name] = aggregate(outcome.cases, name, seed)
    return {
        "metrics": entries,
        "per_case": {s.case_id: {m: v for m, v in s.values.items() if m not in outcome.skipped}
                     for s in sorted(outcome.cases, key=lambda s: s.case_id)},
    }


def build_results(protocol: Protocol, suite: dict[str, Any] | None, provenance: dict[str, Any],
                  methods: dict[str, MethodOutcome], metrics: Sequence[Metric],
                  seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """Assemble the results document from scored methods."""
    names = [m.name for m in metrics]
    return {
        "protocol": {"id": protocol.id, "version": protocol.version},
        "suite": suite,
        "provenance": provenance,
        "metric_info": {m.name: {"label": m.label, "higher_is_better": m.higher_is_better} for m in metrics},
        "methods": {name: method_entry(scores, names, seed) for name, scores in methods.items()},
    }


def write_json(path: Path, document: dict[str, Any]) -> Path:
    """Write JSON atomically (temp file + rename) so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_results(path: Path) -> dict[str, Any]:
    """Read a results document, checking the keys reports rely on."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise A2BenchError("no results file", path=path, fix="run `a2bench evaluate` or `a2bench demo` first") from None
    except json.JSONDecodeError as exc:
        raise A2BenchError(f"results file is not valid JSON ({exc.msg})", path=path,
                           fix="re-export it with `a2bench report`") from None
    missing = [key for key in ("protocol", "methods", "provenance") if key not in document]
    if missing:
        raise A2BenchError(f"results file lacks {', '.join(missing)}", path=path,
                           fix="produce it with a2bench (the shape is documented in the README)")
    return document
