"""`a2bench generate`: animate every case of a suite with methods into a run directory (resumable), and the
generation options `run` shares."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from a2bench.cli.common import QuietOption, RootOption, err, out
from a2bench.errors import A2BenchError

if TYPE_CHECKING:
    from a2bench.generate.runner import GenerateOptions
    from a2bench.store import JobRow

SuiteOption = Annotated[str, typer.Option("--suite", help="Suite to generate (see `a2bench suites list`).")]
SettingOption = Annotated[str, typer.Option("--setting", help="self, rescaled or track:OPS (see `a2bench data "
                                            "derive --help`); one setting per run directory.")]
DeriveSeedOption = Annotated[int, typer.Option("--derive-seed", min=0, help="Seed of a derived setting.")]
SeedsOption = Annotated[str, typer.Option("--seeds", help="Generation seeds, e.g. 0,1,2 (results give the mean "
                                          "over seeds and the spread across them).")]
DevicesOption = Annotated[str | None, typer.Option(
    "--devices", help="One worker per device, e.g. cuda:0,cuda:1 (default: cuda:0 for GPU methods, else cpu; "
    "cpu,cpu runs two CPU workers).")]
ExecutorOption = Annotated[str, typer.Option("--executor", help="local (worker processes) or ray (one task per "
                                             "job; pip install 'a2bench[ray]').")]
RayAddressOption = Annotated[str, typer.Option("--ray-address", help="With --executor ray: auto, HOST:PORT, or "
                                               "local (a private instance).")]
ShardOption = Annotated[str | None, typer.Option("--shard", help="Run only shard i of n (1-based, e.g. 2/4) of the "
                                                 "jobs; combine shards with `a2bench merge`.")]
RetryOption = Annotated[bool, typer.Option("--retry-failed", help="Run failed jobs again (done jobs are always "
                                           "kept).")]
ConfigOption = Annotated[Path | None, typer.Option(
    "--config", help="Method configuration (default: $A2BENCH_CONFIG, ./a2bench.toml, or the per-user "
    "a2bench.toml; see docs/methods/).")]
OutOption = Annotated[Path, typer.Option("--out", help="Run directory: videos/, logs/, a2bench.sqlite.")]
SHOWN_FAILURES = 20


def generate_options(suite: str, methods: Sequence[str], precomputed: dict[str, Path], setting: str,
                     derive_seed: int, seeds: str, devices: str | None, executor: str, ray_address: str,
                     shard: str | None, retry_failed: bool, config: Path | None, root: Path | None
                     ) -> GenerateOptions:
    """The command line's generation options, parsed and checked."""
    from a2bench.generate.runner import GenerateOptions, Shard, parse_devices, parse_seeds

    return GenerateOptions(suite=suite, methods=tuple(methods), precomputed=precomputed, setting=setting,
                           derive_seed=derive_seed, seeds=parse_seeds(seeds),
                           devices=parse_devices(devices) if devices else None, executor=executor,
                           ray_address=ray_address, shard=Shard.parse(shard) if shard else None,
                           retry_failed=retry_failed, config=config, root=root)


def report_jobs(jobs: Sequence[JobRow], warnings: Sequence[str] = ()) -> int:
    """Print the jobs' outcome (each failure with its reason); the number that did not finish."""
    for warning in warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    failed = [job for job in jobs if job.state != "done"]
    out.print(f"{len(jobs) - len(failed)} of {len(jobs)} jobs done, {len(failed)} failed", highlight=False)
    for job in failed[:SHOWN_FAILURES]:
        err.print(f"failed: {job.method} / {job.case_id} / seed {job.seed}: {job.reason or job.state}"
                  + (f" (log: {job.log_path})" if job.log_path else ""), markup=False, highlight=False,
                  soft_wrap=True)
    if len(failed) > SHOWN_FAILURES:
        err.print(f"… and {len(failed) - SHOWN_FAILURES} more failed jobs", markup=False, highlight=False)
    return len(failed)


def fail_if_jobs_failed(count: int, total: int) -> None:
    if count:
        raise A2BenchError(f"{count} of {total} jobs failed (reasons above; every finished video is kept)",
                           fix="fix what the reasons name, then run the same command with --retry-failed")


def generate(suite: SuiteOption,
             method: Annotated[str, typer.Option("--method", help="Method(s) to run, comma-separated (see "
                                                 "`a2bench methods list`).")],
             out_dir: OutOption, setting: SettingOption = "self", derive_seed: DeriveSeedOption = 0,
             seeds: SeedsOption = "0", devices: DevicesOption = None, executor: ExecutorOption = "local",
             ray_address: RayAddressOption = "auto", shard: ShardOption = None, retry_failed: RetryOption = False,
             config: ConfigOption = None, root: RootOption = None, quiet: QuietOption = False) -> None:
    """Generate a suite's videos with methods: one job per case × method × seed, resumable."""
    from a2bench.generate.runner import generate as run_generation
    from a2bench.generate.runner import parse_methods
    from a2bench.progress import progress_bar

    methods, folders = parse_methods(method)
    if folders:
        raise A2BenchError("--method takes registered methods; NAME=DIR folders are scored by `a2bench run`",
                           fix="use `a2bench run --methods NAME=DIR` or `a2bench evaluate --pred DIR`")
    options = generate_options(suite, methods, {}, setting, derive_seed, seeds, devices, executor, ray_address,
                               shard, retry_failed, config, root)
    with progress_bar(f"Generating {suite}", None, quiet) as advance:
        summary = run_generation(out_dir, options, on_job=lambda _job: advance())
    failed = report_jobs(summary.jobs, summary.warnings)
    out.print(f"Run directory: {out_dir.resolve()}", markup=False, highlight=False, soft_wrap=True)
    fail_if_jobs_failed(failed, len(summary.jobs))
