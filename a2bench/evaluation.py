"""The one evaluation service behind `evaluate`, `demo`, `run` and `report`: score methods into a run directory
(SQLite store + feature cache), export its results and render its reports.

A run directory holds one run, identified by its protocol (id, version, digest), suite fingerprint and
setting, metrics, device type, execution mode and weights sha256s. Scoring another method into it adds a
row to its leaderboard; a call whose identity differs is refused with the differences, so numbers computed
differently are never mixed. A killed call resumes: a case scored from the same decoded videos keeps its
stored values, and features come back from the content-addressed cache.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from a2bench import __version__
from a2bench.casework import default_workers
from a2bench.data.settings import SuiteSetting
from a2bench.errors import A2BenchError
from a2bench.metrics.base import MetricContext
from a2bench.metrics.bootstrap import DEFAULT_SEED, DISTRIBUTION_RESAMPLES
from a2bench.metrics.cache import FeatureCache
from a2bench.metrics.registry import DEFAULT_PROTOCOL, PROTOCOLS, get_protocol
from a2bench.names import check_name
from a2bench.pairs import VideoPair, files_fingerprint
from a2bench.provenance import collect, now
from a2bench.results import (
    RESULTS_FILE,
    cost_entry,
    method_entry,
    protocol_record,
    results_document,
    seeds_entry,
    write_json,
)
from a2bench.scoring import CaseScore, MethodOutcome, Scorer, score_pairs
from a2bench.store import STORE_FILE, JobRow, Store
from a2bench.writable import require_writable_folder

HTML_FILE = "leaderboard.html"
MARKDOWN_FILE = "leaderboard.md"


class RunMismatch(A2BenchError):
    """A call that would mix numbers computed differently into one run directory."""


@dataclass(frozen=True)
class ScoringOptions:
    """How to score: what a user sets on the command line (defaults as there)."""

    protocol: str = DEFAULT_PROTOCOL
    metrics: Sequence[str] | None = None
    device: str = "auto"
    batch_size: int = 16
    workers: int | None = None  # host worker processes; None: default_workers()
    weights_dir: Path | None = None
    fast: bool = False
    cache_dir: Path | None = None
    use_cache: bool = True
    seed: int = DEFAULT_SEED
    bootstrap_resamples: int = DISTRIBUTION_RESAMPLES

    def context(self) -> MetricContext:
        workers = default_workers() if self.workers is None else self.workers
        return MetricContext(device=self.device, batch_size=self.batch_size, workers=workers,
                             weights_dir=self.weights_dir, fast=self.fast, cache_dir=self.cache_dir)


@dataclass
class Target:
    """What predictions are scored against: a suite under a setting, or folders (suite None)."""

    setting: SuiteSetting | None = None
    verified: bool = True
    files_fingerprint: str | None = None

    def case_info(self, pairs: Sequence[VideoPair]) -> dict[str, dict[str, Any]]:
        """Per case: its tags and the absolute paths of its ground truth, reference and skeleton (for reports)."""
        if self.setting is None:
            return {pair.case_id: {"tags": {}, "files": {role: str(path.resolve()) for role, path in (
                ("ground_truth", pair.gt), ("reference", pair.reference)) if path is not None}} for pair in pairs}
        roles = ("ground_truth", "reference", "skeleton")
        return {case.id: {"tags": dict(case.tags), "files": {role: str(case.files[role].resolve()) for role in roles
                                                              if role in case.files}} for case in self.setting.cases}

    def suite_block(self) -> dict[str, Any] | None:
        """The results document's `suite` entry (None for folders)."""
        if self.setting is None:
            return None
        identity = self.setting.identity()
        block: dict[str, Any] = {"id": identity["suite"], "fingerprint": identity["fingerprint"],
                                 "setting": identity["setting"], "verified": self.verified}
        if identity["derivation"]:
            block.update(derivation=identity["derivation"], derivation_seed=identity["derivation_seed"])
        if not self.verified:
            block.update(fingerprint=self.files_fingerprint, manifest_fingerprint=identity["fingerprint"])
        return block


def run_identity(scorer: Scorer, target: Target) -> dict[str, Any]:
    """Everything that must agree between calls scoring into one run directory."""
    from a2bench.metrics.runtime import device_type

    protocol = scorer.protocol
    uses_networks = any(metric.weights_names() for metric in scorer.metrics)
    return {"protocol": protocol.id, "protocol_version": protocol.version, "protocol_digest": protocol.digest(),
            "suite": target.suite_block(), "ground_truth": target.files_fingerprint if target.setting is None else None,
            "metrics": [m.name for m in scorer.metrics],
            "device_type": device_type(scorer.context) if uses_networks else "cpu", "mode": scorer.context.mode,
            "weights": scorer.weights}


IDENTITY_WORDS = {"protocol": "protocol", "protocol_version": "protocol version", "protocol_digest": "protocol digest",
                  "suite": "suite, fingerprint or setting", "ground_truth": "ground-truth files", "metrics": "metrics",
                  "device_type": "device type", "mode": "execution mode (exact or --fast)"}


def merge_identity(stored: Mapping[str, Any], new: Mapping[str, Any], run_dir: Path) -> dict[str, Any]:
    """The run's identity with this call's weights added; RunMismatch naming each difference otherwise.

    Weights used by both must have the same sha256; weights only this call uses (a metric skipped earlier for
    want of them) are added.
    """
    differences = [f"{IDENTITY_WORDS[key]}: {_short(stored.get(key))} vs {_short(new.get(key))}"
                   for key in IDENTITY_WORDS if stored.get(key) != new.get(key)]
    weights = dict(stored.get("weights", {}))
    for name, sha256 in new.get("weights", {}).items():
        if weights.get(name, sha256) != sha256:
            differences.append(f"weights {name}: {weights[name][:12]}… vs {sha256[:12]}…")
        weights[name] = sha256
    if differences:
        raise RunMismatch(f"this run directory was scored differently ({'; '.join(differences)}); nothing was "
                          "scored", path=run_dir, fix="score into another --out, or repeat the run's own options")
    return {**stored, "weights": weights}


def merge_provenance(stored: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The run's provenance with what this call's networks add: their weights files and execution tags (a metric
    skipped earlier for want of weights), whether any is random-initialised, and where the set distances ran."""
    merged = dict(stored)
    for key in ("weights", "execution"):
        if key in new:
            merged[key] = {**stored.get(key, {}), **new[key]}
    if new.get("uncalibrated"):
        merged["uncalibrated"] = True
    if "set_distances" in new:
        merged.setdefault("set_distances", new["set_distances"])
    return merged


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_short(v)}" for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return ",".join(map(str, value))
    text = str(value)
    return text[:12] + "…" if len(text) == 64 else text


@dataclass
class Evaluation:
    """A prepared scoring session: options checked, scorer built, run directory ready."""

    run_dir: Path
    scorer: Scorer
    target: Target
    identity: dict[str, Any]
    seeds: dict[str, Any]
    run_id: int = 0

    def score(self, method: str, pairs: Sequence[VideoPair], on_case: Callable[[str], None] | None = None,
              seed: int = 0, provenance: Mapping[str, Any] | None = None) -> None:
        """Score one method's pairs into the run; each case is committed as soon as it is scored."""
        check_name(method, "method name")
        with Store(self.run_dir / STORE_FILE) as store:
            self._open(store, method, provenance)
            store.record_run_cases(self.run_id, self.target.case_info(pairs))
            paths = {pair.case_id: pair.pred.resolve() for pair in pairs}

            def known(case_id: str) -> Mapping[str, Any] | None:
                return store.stored_case(self.run_id, method, case_id, seed)

            def record(score: CaseScore) -> None:
                store.record_case(self.run_id, method, score, score.digests, seed, paths[score.case_id])
                if on_case:
                    on_case(score.case_id)

            outcome = score_pairs(pairs, self.scorer, on_case=record, workers=self.scorer.context.workers,
                                  known=known)
            store.record_set_values(self.run_id, method, outcome.distribution, outcome.skipped, seed)
            for case in outcome.cases:
                store.record_features(self.run_id, method, case.case_id, [
                    (metric.name, metric.extractor().key, case.digests["pred"], case.digests["gt"])
                    for metric in self.scorer.distribution_metrics], seed)

    def _open(self, store: Store, method: str, provenance: Mapping[str, Any] | None) -> None:
        record = protocol_record(self.scorer.protocol, self.scorer.metrics)
        base = collect({"bootstrap": self.scorer.seed, **self.seeds},
                       {"bootstrap_resamples": self.scorer.bootstrap_resamples, **self.scorer.context.provenance()})
        self.run_id = store.open_run(self.identity, record, base,
                                     lambda stored, new: merge_identity(stored, new, self.run_dir), merge_provenance)
        cache = self.scorer.cache
        store.note_method(self.run_id, method, {"scored_at": now(), "a2bench": __version__,
                                                "cache_dir": str(cache.root.resolve()) if cache else None,
                                                **(provenance or {})})


def prepare(run_dir: Path, options: ScoringOptions, target: Target, pairs: Sequence[VideoPair],
            seeds: Mapping[str, Any] | None = None) -> Evaluation:
    """Check every option and the output folder, build the scorer: all before a single video is scored.
    `seeds` are recorded beside the bootstrap seed (e.g. the generation seed of `run`)."""
    from a2bench.metrics.runtime import check_device

    require_writable_folder(run_dir, "--out")
    check_device(options.device)
    protocol = get_protocol(options.protocol)
    metrics = protocol.resolve(options.metrics)
    cache = None
    if options.use_cache:
        cache = FeatureCache(options.cache_dir)
        cache.check_usable()
        if options.cache_dir is not None:
            require_writable_folder(options.cache_dir, "--cache-dir")
    if target.setting is None or not target.verified:
        target.files_fingerprint = files_fingerprint(pairs, "folders" if target.setting is None else "unverified")
    scorer = Scorer(protocol, metrics, options.context(), cache=cache, seed=options.seed,
                    bootstrap_resamples=options.bootstrap_resamples)
    return Evaluation(run_dir, scorer, target, run_identity(scorer, target), dict(seeds or {}))


def export_results(run_dir: Path) -> dict[str, Any]:
    """The results document of a run directory, as it was scored (its stored protocol version and digest), with
    each generated method's failed cases, cost and what the harness did (see a2bench.results)."""
    with Store(run_dir / STORE_FILE, create=False) as store:
        run_id = store.run_id()
        if run_id is None:
            raise A2BenchError("the run database holds no run", path=store.path, fix="score into it first")
        run = store.run(run_id)
        outcomes: dict[str, dict[int, MethodOutcome]] = {}
        videos: dict[str, dict[int, dict[str, str]]] = {}
        for method, seed in store.methods(run_id):
            distribution, skipped = store.set_values(run_id, method, seed)
            outcomes.setdefault(method, {})[seed] = MethodOutcome(store.case_scores(run_id, method, seed),
                                                                  distribution, skipped)
            videos.setdefault(method, {})[seed] = store.videos(run_id, method, seed)
        jobs = {method: store.jobs(method) for method in store.job_methods()}
        cases = store.run_cases(run_id)
    identity = run["identity"]
    provenance = {**run["provenance"], "run_created_at": run["created_at"]}
    run_block = {"device_type": identity["device_type"], "mode": identity["mode"], "weights": identity["weights"],
                 "ground_truth": identity.get("ground_truth")}
    bootstrap = provenance.get("seeds", {}).get("bootstrap", DEFAULT_SEED)
    document = results_document(run["protocol"], identity["suite"], run_block, provenance, {}, seed=bootstrap)
    info = run["protocol"]["metric_info"]
    for method in [*jobs, *(m for m in outcomes if m not in jobs)]:
        blocks = {seed: {**method_entry(outcome, info, bootstrap), "videos": videos[method][seed]}
                  for seed, outcome in sorted(outcomes.get(method, {}).items())}
        if not blocks:
            entry = {**method_entry(MethodOutcome([], {}, {}), info, bootstrap), "videos": {}}
        elif len(blocks) == 1:
            entry = next(iter(blocks.values()))
        else:
            entry = {**seeds_entry(blocks), "videos": blocks[min(blocks)]["videos"]}
        entry.update(_job_entries(jobs.get(method, []), blocks))
        document["methods"][method] = entry
    document["cases"] = cases
    return document


def _job_entries(jobs: Sequence[JobRow], blocks: Mapping[int, Mapping[str, Any]]) -> dict[str, Any]:
    """A generated method's `failed`, `cost` and `generation` entries (nothing for methods without jobs)."""
    if not jobs:
        return {}
    several = len({job.seed for job in jobs}) > 1
    failed: dict[str, list[str]] = {}
    for job in jobs:
        if job.state == "done" and job.case_id in blocks.get(job.seed, {}).get("per_case", {}):
            continue
        reason = job.reason if job.state == "failed" else (
            "generated but not scored yet (run the same `a2bench run` again)" if job.state == "done"
            else "not generated yet (the run was interrupted; run it again)")
        failed.setdefault(job.case_id, []).append(f"seed {job.seed}: {reason}" if several else str(reason))
    entries: dict[str, Any] = {"failed": {case: "; ".join(reasons) for case, reasons in sorted(failed.items())}}
    generated = [job for job in jobs if job.source == "adapter" and job.state == "done"]
    if generated:
        entries["cost"] = cost_entry([job.seconds or 0.0 for job in generated],
                                     [job.peak_gpu_bytes for job in generated])
    done = {}
    for job in sorted(generated, key=lambda j: -j.seed):
        if job.normalised:
            done[job.case_id] = dict(job.normalised)
    if done:
        entries["generation"] = dict(sorted(done.items()))
    return entries


def protocol_drift(results: Mapping[str, Any]) -> str | None:
    """A sentence when the installed a2bench defines the run's protocol differently from how it was scored."""
    scored = results["protocol"]
    if scored["id"] not in PROTOCOLS:
        return (f"this run was scored under {scored['id']} v{scored['version']}, which the installed a2bench does "
                "not define; its numbers are exported as scored")
    current = get_protocol(scored["id"])
    if (current.version, current.digest()) == (scored["version"], scored.get("digest")):
        return None
    return (f"this run was scored under {scored['id']} v{scored['version']} (digest {str(scored.get('digest'))[:12]}…);"
            f" the installed a2bench defines v{current.version} (digest {current.digest()[:12]}…); numbers are "
            "exported as scored, under the version and digest they were computed with")


def write_reports(results: Mapping[str, Any], out_dir: Path) -> tuple[Path, Path, Path]:
    """Write results.json, leaderboard.html and leaderboard.md into `out_dir` (atomically)."""
    from a2bench.reports.outputs import write_outputs
    from a2bench.reports.runs import single_report

    json_path = write_json(out_dir / RESULTS_FILE, results)
    paths = write_outputs(single_report(dict(results), out_dir), {"html": out_dir / HTML_FILE,
                                                                  "markdown": out_dir / MARKDOWN_FILE})
    return json_path, paths["html"], paths["markdown"]


@contextmanager
def run_folder(run_dir: Path | None) -> Iterator[Path]:
    """`run_dir`, or a temporary run directory (deleted afterwards) for calls that only print or write --json."""
    if run_dir is not None:
        yield run_dir
        return
    with tempfile.TemporaryDirectory(prefix="a2bench-run-") as temporary:
        yield Path(temporary)
