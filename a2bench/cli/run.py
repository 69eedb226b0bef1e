"""`a2bench run`: generate, score and report a suite in one resumable command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from a2bench.cli.common import QuietOption, RootOption, err, out, show_report
from a2bench.cli.generate import (
    ConfigOption,
    DeriveSeedOption,
    DevicesOption,
    ExecutorOption,
    OutOption,
    RayAddressOption,
    RetryOption,
    SeedsOption,
    SettingOption,
    ShardOption,
    SuiteOption,
    fail_if_jobs_failed,
    generate_options,
    report_jobs,
)
from a2bench.cli.scoring_options import (
    BatchOption,
    CacheDirOption,
    CacheOption,
    DeviceOption,
    FastOption,
    MetricsOption,
    ProtocolOption,
    ResamplesOption,
    SeedOption,
    WeightsDirOption,
    WorkersOption,
    parse_metrics,
)


def run(suite: SuiteOption,
        methods: Annotated[str, typer.Option("--methods", help="Comma-separated methods to generate (see `a2bench "
                                             "methods list`) and NAME=DIR folders of videos made elsewhere "
                                             "(<case>.mp4 or <case>/ frames).")],
        out_dir: OutOption, setting: SettingOption = "self", derive_seed: DeriveSeedOption = 0,
        seeds: SeedsOption = "0", devices: DevicesOption = None, executor: ExecutorOption = "local",
        ray_address: RayAddressOption = "auto", shard: ShardOption = None, retry_failed: RetryOption = False,
        config: ConfigOption = None,
        unverified: Annotated[bool, typer.Option("--unverified", help="Score ground truth that differs from the "
                                                 "manifest (recorded as unverified).")] = False,
        json_out: Annotated[Path | None, typer.Option("--json", help="Also write the results document here.")] = None,
        protocol: ProtocolOption = "animatex-paper", metrics: MetricsOption = None,
        weights_dir: WeightsDirOption = None, device: DeviceOption = "auto", batch_size: BatchOption = 16,
        workers: WorkersOption = None, fast: FastOption = False, seed: SeedOption = 0,
        bootstrap_resamples: ResamplesOption = 200, cache_dir: CacheDirOption = None, cache: CacheOption = True,
        root: RootOption = None, quiet: QuietOption = False) -> None:
    """Generate a suite with methods, score every video and write the leaderboards, resuming earlier work."""
    from a2bench.evaluation import ScoringOptions
    from a2bench.generate.runner import parse_methods
    from a2bench.results import write_json
    from a2bench.run import run_suite
    from a2bench.writable import require_writable_file

    names, folders = parse_methods(methods)
    if json_out is not None:
        require_writable_file(json_out, "--json")
    generation = generate_options(suite, names, folders, setting, derive_seed, seeds, devices, executor,
                                  ray_address, shard, retry_failed, config, root)
    scoring = ScoringOptions(protocol=protocol, metrics=parse_metrics(metrics), device=device,
                             batch_size=batch_size, workers=workers, weights_dir=weights_dir, fast=fast,
                             cache_dir=cache_dir, use_cache=cache, seed=seed, bootstrap_resamples=bootstrap_resamples)
    outcome = run_suite(out_dir, generation, scoring, verify=not unverified, quiet=quiet,
                        on_note=lambda note: err.print(f"warning: {note}", markup=False, highlight=False,
                                                       soft_wrap=True))
    show_report(outcome.results)
    for name, entry in outcome.results["methods"].items():
        cost = entry.get("cost")
        if cost and cost["seconds_per_video"] is not None:
            peak = cost["peak_gpu_bytes"]
            memory = f"{peak / 2 ** 30:.1f} GiB peak GPU memory" if peak is not None else "peak GPU memory unknown"
            out.print(f"{name}: {cost['videos']} videos, {cost['seconds_per_video']:.2f} s per video, {memory}",
                      markup=False, highlight=False, soft_wrap=True)
    for error in outcome.scoring_errors:
        err.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
    failed = report_jobs(outcome.generation.jobs)
    out.print(f"HTML leaderboard: {outcome.html_path.resolve()}", markup=False, highlight=False, soft_wrap=True)
    out.print(f"Results: {outcome.results_path.resolve()}", markup=False, highlight=False, soft_wrap=True)
    if json_out is not None:
        out.print(f"Results: {write_json(json_out, outcome.results).resolve()}", markup=False, highlight=False,
                  soft_wrap=True)
    fail_if_jobs_failed(failed + len(outcome.scoring_errors), len(outcome.generation.jobs))
