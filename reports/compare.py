"""The regression gate behind `a2bench compare`: a candidate run against a baseline run of the same protocol,
data and setting, one method of each, case by case.

For each metric the difference candidate − baseline gets a paired bootstrap interval (reports.paired). A metric
*regresses* when it got worse by more than its tolerance (`--max-regression METRIC=DELTA`, default 0) and its
interval lies entirely on the worse side of zero. The gate fails when a metric regresses or when the candidate
lacks cases the baseline scored. Anything that makes the comparison impossible (runs that disagree, an unknown
metric, a metric one run skipped, features no longer in the cache) is a CompareUsageError: exit status 2, so a
CI job never mistakes "could not compare" for "passed" or for "regressed".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from a2bench.errors import A2BenchError
from a2bench.reports.paired import CASE_RESAMPLES, paired_case_ci, paired_set_ci, set_distance, weighted_difference
from a2bench.reports.runs import Run, differences
from a2bench.reports.table import SCIENTIFIC_BELOW

if TYPE_CHECKING:
    from a2bench.casework import HostPool

SET_RESAMPLES = 200


class CompareUsageError(A2BenchError):
    """A comparison that cannot be made as asked (exit status 2)."""


@dataclass(frozen=True)
class Tolerance:
    """How much worse a metric may get: an amount in the metric's unit, or a percentage of the baseline value."""

    metric: str
    amount: float
    relative: bool = False

    def allowed(self, baseline: float) -> float:
        return self.amount * abs(baseline) / 100 if self.relative else self.amount

    @property
    def text(self) -> str:
        return f"{self.amount:g}%" if self.relative else f"{self.amount:g}"


def parse_tolerances(items: Sequence[str]) -> dict[str, Tolerance]:
    """`--max-regression` values (METRIC=DELTA or METRIC=PERCENT%) by metric; CompareUsageError on a bad one."""
    fix = "write --max-regression METRIC=DELTA, e.g. psnr=0.5 (in the metric's unit) or fvd=2% (of the baseline)"
    tolerances: dict[str, Tolerance] = {}
    for item in items:
        metric, sep, amount = item.partition("=")
        metric, amount = metric.strip(), amount.strip()
        if not sep or not metric or not amount:
            raise CompareUsageError(f"--max-regression {item!r} is not METRIC=DELTA", fix=fix)
        relative = amount.endswith("%")
        try:
            value = float(amount.removesuffix("%"))
        except ValueError:
            raise CompareUsageError(f"--max-regression {item!r}: {amount!r} is not a number", fix=fix) from None
        if not math.isfinite(value) or value < 0:
            raise CompareUsageError(f"--max-regression {item!r}: the tolerance must be a number ≥ 0", fix=fix)
        if metric in tolerances:
            raise CompareUsageError(f"--max-regression gives {metric} twice", fix=fix)
        tolerances[metric] = Tolerance(metric, value, relative)
    return tolerances


@dataclass(frozen=True)
class MetricResult:
    """One metric compared: both runs' values over the paired cases, the difference and its interval."""

    metric: str
    label: str
    higher_is_better: bool
    set_metric: bool
    baseline: float
    candidate: float
    delta: float
    ci95: tuple[float, float] | None
    cases: int
    tolerance: float
    tolerance_text: str

    @property
    def worsening(self) -> float:
        """How much worse the candidate is (negative: better), in the metric's unit."""
        return -self.delta if self.higher_is_better else self.delta

    @property
    def worse_side(self) -> bool:
        """The interval lies entirely on the worse side of zero."""
        if self.ci95 is None:
            return False
        low, high = self.ci95
        return high < 0 if self.higher_is_better else low > 0

    @property
    def regressed(self) -> bool:
        return self.worsening > self.tolerance and self.worse_side

    def difference_texts(self) -> tuple[str, str]:
        """The signed difference and its interval, written alike (E-notation when tiny, as L1's values are)."""
        values = [self.delta, *(self.ci95 or ())]
        style = "{:+.2e}" if 0 < max(abs(v) for v in values) < SCIENTIFIC_BELOW else "{:+.4g}"
        interval = f"[{style.format(self.ci95[0])}, {style.format(self.ci95[1])}]" if self.ci95 else "(no interval)"
        return style.format(self.delta), interval

    @property
    def verdict(self) -> str:
        if self.regressed:
            return "REGRESSED"
        if self.worsening > self.tolerance:
            return "worse, interval includes 0" if self.ci95 else "worse, no interval (< 2 cases)"
        if self.worsening > 0:
            return "worse, within tolerance"
        return "better" if self.worsening < 0 else "unchanged"


@dataclass
class Comparison:
    """The gate's outcome."""

    candidate: Run
    baseline: Run
    candidate_method: str
    baseline_method: str
    results: list[MetricResult]
    not_compared: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seed: int = 0

    @property
    def failed(self) -> bool:
        return bool(self.missing) or any(result.regressed for result in self.results)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    @property
    def uncalibrated(self) -> bool:
        """Either run's learned metrics used random-initialised weights (they test the pipeline only)."""
        return self.candidate.uncalibrated or self.baseline.uncalibrated


@dataclass
class _Side:
    """One run as the gate reads it: its results document and, from its store, per-case values with their item
    counts and where the feature blocks of set metrics are."""

    run: Run
    method: str
    values: dict[str, dict[str, tuple[float, int]]]
    features: dict[str, list[tuple[str, str, str, str]]]
    cache_dir: Path | None


def _open(path: Path, role: str) -> tuple[Run, Path]:
    """The run of a run directory and its database (compare needs the per-case item counts and feature blocks
    only the database holds)."""
    from a2bench.reports.runs import load_run
    from a2bench.store import STORE_FILE

    if path.is_dir() and not (path / STORE_FILE).is_file():
        raise CompareUsageError(f"{role} run directory has no {STORE_FILE}", path=path,
                                fix="compare reads per-case values and features from the run database: pass a run "
                                    "directory written by `a2bench evaluate --out`, `demo` or `run`")
    try:
        return load_run(path), path / STORE_FILE
    except A2BenchError as exc:
        raise CompareUsageError(f"{role} {exc.message}", path=exc.path, fix=exc.fix) from None


def _method(run: Run, method: str | None, role: str) -> str:
    names = list(run.results["methods"])
    if method is not None:
        if method not in names:
            raise CompareUsageError(f"the {role} run has no method {method!r} (it has: {', '.join(names) or 'none'})",
                                    path=run.path, fix="pass --method with a method both runs scored")
        return method
    if len(names) != 1:
        raise CompareUsageError(f"the {role} run holds {len(names)} methods ({', '.join(names)})", path=run.path,
                                fix="pass --method NAME to say which method to compare")
    return names[0]


def _side(run: Run, database: Path, method: str, metrics: Sequence[str], cache_dir: Path | None) -> _Side:
    from a2bench.store import Store

    with Store(database, create=False) as store:
        run_id = store.run_id()
        seeds = [seed for name, seed in store.methods(run_id) if name == method]  # type: ignore[arg-type]
        if len(seeds) != 1:
            raise CompareUsageError(f"method {method!r} was scored with {len(seeds)} seeds", path=run.path,
                                    fix="compare runs that score each method once")
        scores = store.case_scores(run_id, method, seeds[0])  # type: ignore[arg-type]
        features = {m: store.features(run_id, method, m, seeds[0]) for m in metrics}  # type: ignore[arg-type]
    values = {score.case_id: {m: (v, score.items.get(m, score.frames)) for m, v in score.values.items()}
              for score in scores}
    recorded = ((run.results.get("provenance") or {}).get("methods") or {}).get(method, {}).get("cache_dir")
    return _Side(run, method, values, features, cache_dir or (Path(recorded) if recorded else None))


def compare_runs(candidate_dir: Path, baseline_dir: Path, method: str | None = None,
                 metrics: Sequence[str] | None = None, tolerances: Mapping[str, Tolerance] | None = None,
                 seed: int = 0, resamples: int = CASE_RESAMPLES, set_resamples: int = SET_RESAMPLES,
                 cache_dir: Path | None = None, workers: int | None = None) -> Comparison:
    """Compare a method of the candidate run with the same (or the only) method of the baseline run; the set
    metrics' resamples run in `workers` processes (default: one per core but one; the same results for any)."""
    from a2bench.casework import HostPool, default_workers

    tolerances = dict(tolerances or {})
    candidate, candidate_db = _open(candidate_dir, "candidate")
    baseline, baseline_db = _open(baseline_dir, "baseline")
    found = differences(candidate, baseline)
    if found:
        raise CompareUsageError(f"the runs are not comparable ({'; '.join(found)})",
                                fix="compare runs of the same protocol, suite, setting and weights")
    names = (_method(candidate, method, "candidate"), _method(baseline, method, "baseline"))
    chosen, not_compared = _metrics(candidate, baseline, names, metrics, tolerances)
    sides = [_side(run, db, name, chosen, cache_dir) for run, db, name in
             ((candidate, candidate_db, names[0]), (baseline, baseline_db, names[1]))]
    comparison = Comparison(candidate, baseline, *names, [], not_compared, seed=seed)
    comparison.missing = sorted(set(sides[1].values) - set(sides[0].values))
    comparison.extra = sorted(set(sides[0].values) - set(sides[1].values))
    comparison.notes = _notes(comparison)
    info = candidate.results["metric_info"]
    sets = [metric for metric in chosen if info[metric].get("reduction") is None]  # one distance over all videos
    with HostPool((default_workers() if workers is None else workers) if sets else 0) as pool:
        for metric in chosen:
            tolerance = tolerances.get(metric, Tolerance(metric, 0.0))
            comparison.results.append(_set_result(metric, info[metric], sides, tolerance, seed, set_resamples, pool)
                                      if metric in sets else
                                      _case_result(metric, info[metric], sides, tolerance, seed, resamples))
    return comparison


def _metrics(candidate: Run, baseline: Run, names: tuple[str, str], requested: Sequence[str] | None,
             tolerances: Mapping[str, Tolerance]) -> tuple[list[str], list[tuple[str, str]]]:
    """The metrics to compare; by default those both runs computed, the others listed with the reason. A metric
    asked for by name (in --metrics or --max-regression) that either run skipped is a CompareUsageError."""
    info_c, info_b = candidate.results.get("metric_info", {}), baseline.results.get("metric_info", {})
    common = [m for m in info_c if m in info_b]
    named = list(dict.fromkeys([*(requested or []), *tolerances]))
    for name in named:
        if name not in common:
            raise CompareUsageError(f"unknown metric {name!r}: not scored in both runs",
                                    fix=f"use some of: {', '.join(common) or 'none'}")
    if requested and any(name not in requested for name in tolerances):
        extra = [name for name in tolerances if name not in requested]
        raise CompareUsageError(f"--max-regression names {', '.join(extra)}, which --metrics leaves out",
                                fix="add them to --metrics, or drop their --max-regression")
    chosen, not_compared = [], []
    if not requested:
        not_compared += [(m, f"in the {role} run only") for role, own, other in
                         (("candidate", info_c, info_b), ("baseline", info_b, info_c)) for m in own if m not in other]
    for metric in (requested or common):
        reason = _skip_reason(metric, candidate, names[0], "candidate") or _skip_reason(metric, baseline, names[1],
                                                                                         "baseline")
        if reason is None:
            chosen.append(metric)
        elif metric in named:
            raise CompareUsageError(f"{metric} cannot be compared: {reason}",
                                    fix="score the metric in both runs, or leave it out of --metrics")
        else:
            not_compared.append((metric, reason))
    if not chosen:
        raise CompareUsageError("no metric was computed in both runs",
                                fix="score at least one metric in both runs (see the skipped reasons in their reports)")
    return chosen, not_compared


def _skip_reason(metric: str, run: Run, method: str, role: str) -> str | None:
    entry = run.results["methods"][method]["metrics"].get(metric, {})
    if entry.get("skipped"):
        return f"skipped in the {role} run ({entry['skipped']})"
    if entry.get("value") is None:
        return f"no value in the {role} run"
    return None


def _notes(comparison: Comparison) -> list[str]:
    """Differences that do not forbid the comparison but a reader should know."""
    notes = []
    run_c, run_b = comparison.candidate.results.get("run") or {}, comparison.baseline.results.get("run") or {}
    for key, words in (("device_type", "device type"), ("mode", "execution mode")):
        if run_c.get(key) != run_b.get(key):
            notes.append(f"{words} differs: candidate {run_c.get(key)}, baseline {run_b.get(key)}")
    if comparison.uncalibrated:
        notes.append("UNCALIBRATED weights were used: learned metrics test the pipeline only")
    return notes


def _case_result(metric: str, info: Mapping[str, Any], sides: list[_Side], tolerance: Tolerance, seed: int,
                 resamples: int) -> MetricResult:
    candidate, baseline = sides
    cases = sorted(c for c in candidate.values if metric in candidate.values[c]
                   and metric in baseline.values.get(c, {}))
    if not cases:
        raise CompareUsageError(f"no case has {metric} in both runs", fix="score the same cases in both runs")
    by_items = (info.get("reduction") or {}).get("over", "items") == "items"
    arrays = []
    for side in sides:
        values = np.array([side.values[c][metric][0] for c in cases])
        weights = np.array([side.values[c][metric][1] if by_items else 1 for c in cases], dtype=np.float64)
        arrays += [values, weights]
    c, wc, b, wb = arrays
    return MetricResult(metric, info.get("label", metric), bool(info.get("higher_is_better", True)), False,
                        float(np.average(b, weights=wb)), float(np.average(c, weights=wc)),
                        weighted_difference(c, b, wc, wb), paired_case_ci(c, b, wc, wb, seed, resamples),
                        len(cases), tolerance.allowed(float(np.average(b, weights=wb))), tolerance.text)


def _set_result(metric: str, info: Mapping[str, Any], sides: list[_Side], tolerance: Tolerance, seed: int,
                resamples: int, pool: HostPool) -> MetricResult:
    distance = _installed_distance(sides[0].run, metric)
    blocks = [_feature_blocks(side, metric) for side in sides]
    cases = sorted(set(blocks[0]) & set(blocks[1]))
    if len(cases) < 2:
        raise CompareUsageError(f"{metric} needs the features of at least two cases scored in both runs",
                                fix="score the same cases in both runs")
    candidate, baseline = ([b[c] for c in cases] for b in blocks)
    value_c, value_b = set_distance(candidate, distance), set_distance(baseline, distance)
    return MetricResult(metric, info.get("label", metric), bool(info.get("higher_is_better", False)), True,
                        value_b, value_c, value_c - value_b,
                        paired_set_ci(candidate, baseline, distance, seed, resamples, pool=pool), len(cases),
                        tolerance.allowed(value_b), tolerance.text)


def _installed_distance(run: Run, metric: str) -> Any:
    """The distance of `metric` as the installed a2bench defines it, refused when that is not how it was scored."""
    from a2bench.metrics.registry import PROTOCOLS, get_protocol

    scored = run.results["protocol"]
    fix = "compare case metrics only (--metrics), or install the a2bench that scored the runs"
    if scored["id"] not in PROTOCOLS:
        raise CompareUsageError(f"{metric} must be recomputed, but the installed a2bench does not define protocol "
                                f"{scored['id']}", fix=fix)
    protocol = get_protocol(scored["id"])
    if (protocol.version, protocol.digest()) != (scored["version"], scored.get("digest")):
        raise CompareUsageError(f"{metric} must be recomputed, but the installed a2bench defines {scored['id']} "
                                f"v{protocol.version} (digest {protocol.digest()[:12]}…), not v{scored['version']} "
                                f"(digest {str(scored.get('digest'))[:12]}…) as scored", fix=fix)
    return protocol.get_metric(metric).distance_function()


def _feature_blocks(side: _Side, metric: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per case, the prediction and ground-truth feature rows the run's value of `metric` was computed from."""
    from a2bench.metrics.cache import FeatureCache

    cache = FeatureCache(side.cache_dir)
    blocks = {}
    for case_id, key, pred_digest, gt_digest in side.features[metric]:
        rows = [cache.load(cache.path_for(digest, key)) for digest in (pred_digest, gt_digest)]
        if rows[0] is None or rows[1] is None:
            raise CompareUsageError(f"the feature cache holds no {metric} features of case {case_id} of method "
                                    f"{side.method}", path=cache.root,
                                    fix="pass --cache-dir with the cache the run was scored with, or score the run "
                                        "again into the same --out (features are recomputed and cached)")
        blocks[case_id] = (rows[0], rows[1])
    return blocks
