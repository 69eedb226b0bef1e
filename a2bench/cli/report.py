"""`a2bench report` (leaderboards and paper tables of run directories) and `a2bench compare` (the regression gate
for CI: exit 0 pass, 1 regression, 2 when the comparison cannot be made)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from a2bench.cli.common import err, out, say, show_report
from a2bench.errors import A2BenchError

RunDirsArgument = Annotated[list[Path], typer.Argument(
    help="Run directories (from `a2bench evaluate --out`, `demo` or `run`); runs of several settings of one suite "
         "and protocol become sections of one report.", show_default=False, metavar="RUN_DIR")]


def report(run_dirs: RunDirsArgument,
           html: Annotated[Path | None, typer.Option("--html", help="Write the HTML leaderboard here.")] = None,
           latex: Annotated[Path | None, typer.Option("--latex", help="Write LaTeX tables (booktabs) here.")] = None,
           markdown: Annotated[Path | None, typer.Option("--markdown", help="Write the Markdown tables here.")] = None,
           csv: Annotated[Path | None, typer.Option("--csv", help="Write every value as CSV here.")] = None,
           reference: Annotated[str | None, typer.Option(
               "--reference", help="Add the Animate-X paper's rows of this table, marked as reported: "
               "table1_a2bench_rescaled, table2_a2bench_self, table4_ablation_a2bench_rescaled, table7_tiktok, "
               "table8_fashion.")] = None,
           previews: Annotated[bool, typer.Option("--previews/--no-previews", help="Embed animated previews of "
                                                  "each case in the HTML page.")] = True) -> None:
    """Render the leaderboards of run directories. With one run and no output option: re-export its results.json,
    leaderboard.html and leaderboard.md into it."""
    from a2bench.evaluation import HTML_FILE, MARKDOWN_FILE, protocol_drift
    from a2bench.reports.outputs import write_outputs
    from a2bench.reports.reference import reference_table
    from a2bench.reports.runs import attach_reference, load_run, merge_runs
    from a2bench.results import RESULTS_FILE, write_json
    from a2bench.store import STORE_FILE
    from a2bench.writable import require_writable_file, require_writable_folder

    table = reference_table(reference) if reference is not None else None
    targets = {kind: path for kind, path in (("html", html), ("latex", latex), ("markdown", markdown), ("csv", csv))
               if path is not None}
    for option, path in targets.items():
        require_writable_file(path, f"--{option}")
    runs = [load_run(path) for path in run_dirs]
    in_place = not targets
    if in_place:
        if len(run_dirs) > 1:
            raise A2BenchError(f"{len(run_dirs)} run directories but no output file",
                               fix="pass --html FILE (and/or --latex, --markdown, --csv) to report several runs")
        require_writable_folder(run_dirs[0], "RUN_DIR")
        targets = {"html": run_dirs[0] / HTML_FILE, "markdown": run_dirs[0] / MARKDOWN_FILE}
    merged = merge_runs(runs)
    if table is not None:
        attach_reference(merged, table)
    for run in runs:
        drift = protocol_drift(run.results)
        if drift:
            say(f"note: {run.label}: {drift}", err)
    if in_place and (run_dirs[0] / STORE_FILE).exists():
        say(f"Results: {write_json(run_dirs[0] / RESULTS_FILE, runs[0].results).resolve()}", out)
    written = write_outputs(merged, targets, previews=previews)
    show_report(merged)
    names = {"html": "HTML leaderboard", "latex": "LaTeX", "markdown": "Markdown", "csv": "CSV"}
    for kind, path in written.items():
        say(f"{names[kind]}: {path.resolve()}", out)


def compare(candidate: Annotated[Path, typer.Argument(help="The run to check (e.g. a new checkpoint's).",
                                                      show_default=False, metavar="CANDIDATE_RUN")],
            baseline: Annotated[Path, typer.Argument(help="The run it must not be worse than.", show_default=False,
                                                     metavar="BASELINE_RUN")],
            method: Annotated[str | None, typer.Option("--method", help="Method to compare, in both runs (default: "
                                                       "the only method of each).")] = None,
            metrics: Annotated[str | None, typer.Option("--metrics", help="Comma-separated metrics (default: every "
                                                        "metric both runs computed).")] = None,
            max_regression: Annotated[list[str] | None, typer.Option(
                "--max-regression", help="METRIC=DELTA: how much worse METRIC may get (its unit, or N% of the "
                "baseline value) before it fails; repeatable; default 0.")] = None,
            junit: Annotated[Path | None, typer.Option("--junit", help="Write JUnit XML here.")] = None,
            seed: Annotated[int, typer.Option("--seed", help="Bootstrap seed.")] = 0,
            resamples: Annotated[int, typer.Option("--resamples", min=1, help="Paired bootstrap resamples for case "
                                                   "metrics.")] = 1000,
            set_resamples: Annotated[int, typer.Option("--set-resamples", min=1, help="Resamples for FID, FID-VID "
                                                       "and FVD (each recomputes two distances).")] = 200,
            cache_dir: Annotated[Path | None, typer.Option("--cache-dir", help="Feature cache the runs were scored "
                                                           "with (default: as each run recorded).")] = None,
            workers: Annotated[int | None, typer.Option(
                "--workers", min=0, help="Worker processes for the resamples of FID, FID-VID and FVD (default: one "
                "per core but one, at most 16; 0: in this process). Results do not depend on it.")] = None) -> None:
    """Compare a candidate run with a baseline run case by case. Exit status: 0 no regression, 1 a metric regressed
    beyond its tolerance (interval excluding 0) or the candidate lacks cases, 2 the runs cannot be compared."""
    from a2bench.atomic import atomic_write
    from a2bench.cli.scoring_options import parse_metrics
    from a2bench.reports.compare import compare_runs, parse_tolerances
    from a2bench.reports.junit import junit_error, junit_xml
    from a2bench.reports.terminal import comparison_table
    from a2bench.writable import require_writable_file

    junit_writable = False
    try:
        if junit is not None:
            junit_writable = bool(require_writable_file(junit, "--junit"))
        comparison = compare_runs(candidate, baseline, method, parse_metrics(metrics),
                                  parse_tolerances(max_regression or []), seed, resamples, set_resamples, cache_dir,
                                  workers)
    except A2BenchError as exc:
        say(f"error: {exc.line()}", err)
        if junit is not None and junit_writable:
            atomic_write(junit, junit_error(exc.line()))
        raise typer.Exit(2) from None
    out.print(comparison_table(comparison))
    if junit is not None:
        say(f"JUnit: {atomic_write(junit, junit_xml(comparison)).resolve()}", out)
    raise typer.Exit(comparison.exit_code)
