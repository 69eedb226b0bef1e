"""`a2bench run`: generate, score and report a suite in one resumable call — the generation runner, then the one
evaluation service on every generated (or precomputed) video, then the reports.

Scoring options are checked before anything is generated; the scoring networks are loaded only after
generation, so they never take GPU memory from a model. Every case of the setting ends in the results, scored
or listed under the method's `failed` with its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from a2bench.data.settings import open_setting
from a2bench.data.suites import open_suite
from a2bench.errors import A2BenchError
from a2bench.evaluation import ScoringOptions, Target, export_results, prepare, write_reports
from a2bench.generate.runner import GenerateOptions, GenerationSummary, generate
from a2bench.metrics.registry import get_protocol
from a2bench.pairs import VideoPair, suite_pairs
from a2bench.progress import progress_bar
from a2bench.store import STORE_FILE, Store
from a2bench.writable import require_writable_folder


@dataclass
class RunOutcome:
    """What a run wrote and found: the results document, the report files, the generation's jobs."""

    results: dict[str, Any]
    results_path: Path
    html_path: Path
    markdown_path: Path
    generation: GenerationSummary
    scoring_errors: list[str] = field(default_factory=list)


def check_scoring(options: ScoringOptions) -> None:
    """Fail before any work on a protocol, metric or device that scoring would refuse."""
    from a2bench.metrics.runtime import check_device

    get_protocol(options.protocol).resolve(options.metrics)
    check_device(options.device)
    if options.cache_dir is not None:
        require_writable_folder(options.cache_dir, "--cache-dir")


def done_videos(run_dir: Path, method: str, seed: int, setting: str) -> dict[str, Path]:
    """The finished videos of a method and seed, by case id."""
    with Store(run_dir / STORE_FILE) as store:
        return {job.case_id: job.path for job in store.jobs(method, ("done",))
                if job.seed == seed and job.setting == setting and job.path is not None}


def run_suite(run_dir: Path, generation: GenerateOptions, scoring: ScoringOptions, verify: bool = True,
              quiet: bool = False, on_note: Callable[[str], None] | None = None) -> RunOutcome:
    """Generate every job of `generation` into `run_dir`, score each method and seed, write the reports.
    Every option is checked before `run_dir` is created (generate checks it after its own options)."""
    check_scoring(scoring)
    methods = [*generation.methods, *generation.precomputed]
    suite = open_suite(generation.suite, generation.root)
    total = len(methods) * len(generation.seeds) * len(suite.manifest.cases)
    with progress_bar(f"Generating {suite.name}", total, quiet) as advance:
        summary = generate(run_dir, generation, on_job=lambda _job: advance())
    for warning in summary.warnings:
        if on_note:
            on_note(warning)
    target = Target(open_setting(suite, generation.setting, generation.derive_seed), verified=verify)
    assert target.setting is not None
    pairs: dict[tuple[str, int], list[VideoPair]] = {
        (method, seed): suite_pairs(target.setting, done_videos(run_dir, method, seed, target.setting.setting),
                                    verify)
        for method in methods for seed in generation.seeds}
    unique = list({pair.case_id: pair for group in pairs.values() for pair in group}.values())
    seeds: Mapping[str, Any] = {"generation": generation.seeds[0] if len(generation.seeds) == 1
                                else list(generation.seeds)}
    evaluation = prepare(run_dir, scoring, target, unique, seeds)
    errors = []
    registered = False
    for (method, seed), group in pairs.items():
        if not group:
            continue
        source = {"folder": str(generation.precomputed[method].resolve())} if method in generation.precomputed \
            else {"generated": "a2bench generate"}
        with progress_bar(f"Scoring {method}" + (f" (seed {seed})" if len(generation.seeds) > 1 else ""),
                          len(group), quiet) as advance:
            try:
                evaluation.score(method, group, on_case=advance, seed=seed, provenance=source)
                registered = True
            except A2BenchError as exc:  # the cases scored so far are kept; the rest are listed as not scored
                errors.append(f"{method} (seed {seed}): scoring stopped: {exc.line()}")
    if not registered:  # nothing to score: the run still records its identity, so the report lists the failures
        evaluation.score(methods[0], [], seed=generation.seeds[0])
    results = export_results(run_dir)
    json_path, html_path, md_path = write_reports(results, run_dir)
    return RunOutcome(results, json_path, html_path, md_path, summary, errors)
