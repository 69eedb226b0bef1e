"""The results document (results.json): its shape, the aggregation of case scores, reading and writing.

Shape (format 2): {"format": 2, "protocol": {"id", "version", "digest"}, "suite": {"id", "fingerprint",
"setting", "verified", ...} | null, "run": {"device_type", "mode", "weights": {NAME: sha256}, "ground_truth":
fingerprint of --gt folders | null}, "provenance": {..., "methods": {NAME: {"scored_at", "cache_dir", ...}}},
"metric_info": {METRIC: {"label", "higher_is_better", "description", "reduction"}}, "methods": {NAME:
{"metrics": {METRIC: {"value", "ci95": [lo, hi] | null, "n"}}, "per_case": {CASE: {METRIC: value}},
"notes": {CASE: [warning, ...]}, "videos": {CASE: path}, "cost": {"videos", "seconds_per_video",
"peak_gpu_bytes"} (optional, from generation)}}, "cases": {CASE: {"tags": {...}, "files": {ROLE: path}}}}.
`n` counts cases (videos). A case metric's value is reduced as its stored
declaration says (`reduction.over`: mean over all items of all cases, or mean of case means); a metric that
could not run has value null and a "skipped" reason. Everything is built from what the run stored, never from
the installed code's protocol, so an old run is exported with the version and digest it was scored under.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from a2bench.atomic import atomic_write_json
from a2bench.errors import A2BenchError
from a2bench.metrics.base import Metric, suite_value
from a2bench.metrics.bootstrap import DEFAULT_SEED, frame_weighted_ci
from a2bench.metrics.protocol import Protocol
from a2bench.scoring import CaseScore, MethodOutcome

RESULTS_FILE = "results.json"
FORMAT = 2


def protocol_record(protocol: Protocol, metrics: Sequence[Metric]) -> dict[str, Any]:
    """What a run stores about its protocol: id, version, digest, the declaration hashed and the metrics'
    descriptions (so reports of the run never need the installed code's protocol)."""
    names = [m.name for m in metrics]
    return {"id": protocol.id, "version": protocol.version, "digest": protocol.digest(),
            "description": protocol.description, "declaration": protocol.declaration(),
            "metric_info": protocol.metric_info(names)}


def aggregate(scores: Sequence[CaseScore], metric: str, over: str = "items",
              seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """The suite value of a case metric as its reduction declares, its bootstrap 95% interval and case count."""
    scored = [s for s in scores if metric in s.values]
    if not scored:
        return {"value": None, "ci95": None, "n": 0}
    means = np.array([s.values[metric] for s in scored], dtype=np.float64)
    items = np.array([s.items.get(metric, s.frames) for s in scored], dtype=np.float64)
    weights = items if over == "items" else np.ones_like(items)
    interval = frame_weighted_ci(means, weights, seed=seed)
    return {"value": suite_value(over, means, items), "ci95": list(interval) if interval else None, "n": len(scored)}


def skipped_entry(reason: str) -> dict[str, Any]:
    """A metric that could not run: no value, and the reason (with the command that fixes it)."""
    return {"value": None, "ci95": None, "n": 0, "skipped": reason}


def method_entry(outcome: MethodOutcome, metric_info: Mapping[str, Mapping[str, Any]],
                 seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """One method's block: aggregated metrics (distribution metrics as computed, skipped ones marked), per-case
    values and per-case warnings."""
    entries = {}
    for name, info in metric_info.items():
        reduction = info.get("reduction") or {}
        if name in outcome.skipped:
            entries[name] = skipped_entry(outcome.skipped[name])
        elif name in outcome.distribution:
            entries[name] = dict(outcome.distribution[name])
        else:
            entries[name] = aggregate(outcome.cases, name, reduction.get("over", "items"), seed)
    cases = sorted(outcome.cases, key=lambda s: s.case_id)
    return {
        "metrics": entries,
        "per_case": {s.case_id: {m: v for m, v in s.values.items() if m not in outcome.skipped} for s in cases},
        "notes": {s.case_id: list(s.notes) for s in cases if s.notes},
    }


def results_document(protocol: Mapping[str, Any], suite: Mapping[str, Any] | None, run: Mapping[str, Any],
                     provenance: Mapping[str, Any], methods: Mapping[str, MethodOutcome],
                     seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """Assemble the results document from a stored protocol record and scored methods."""
    info = protocol["metric_info"]
    return {
        "format": FORMAT,
        "protocol": {"id": protocol["id"], "version": protocol["version"], "digest": protocol["digest"]},
        "suite": dict(suite) if suite else None,
        "run": dict(run),
        "provenance": dict(provenance),
        "metric_info": {name: dict(entry) for name, entry in info.items()},
        "methods": {name: method_entry(outcome, info, seed) for name, outcome in methods.items()},
    }


def build_results(protocol: Protocol, suite: Mapping[str, Any] | None, provenance: Mapping[str, Any],
                  methods: Mapping[str, MethodOutcome], metrics: Sequence[Metric],
                  seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """The results document of methods scored just now under the installed protocol `protocol`."""
    run = {key: provenance[key] for key in ("device", "mode") if key in provenance}
    return results_document(protocol_record(protocol, metrics), suite, run, provenance, methods, seed)


def write_json(path: Path, document: Mapping[str, Any]) -> Path:
    """Write a results document atomically (a reader never sees half a file)."""
    return atomic_write_json(path, document)


def load_results(path: Path) -> dict[str, Any]:
    """Read a results document, checking the keys reports rely on."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise A2BenchError("no results file", path=path, fix="run `a2bench evaluate` or `a2bench demo` first") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise A2BenchError(f"cannot read the results file ({exc})", path=path, fix="check the path") from None
    except json.JSONDecodeError as exc:
        raise A2BenchError(f"results file is not valid JSON ({exc.msg})", path=path,
                           fix="re-export it with `a2bench report`") from None
    missing = [key for key in ("protocol", "methods", "provenance") if key not in document]
    if missing:
        raise A2BenchError(f"results file lacks {', '.join(missing)}", path=path,
                           fix="produce it with a2bench (the shape is documented in the README)")
    return document
