"""The root `a2bench` command: demo, evaluate, report, and the sub-command groups."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from a2bench import __version__
from a2bench.cli.cache import cache_app
from a2bench.cli.common import QuietOption, RootOption, err, out
from a2bench.cli.data import data_app, suites_app
from a2bench.cli.importing import data_import
from a2bench.cli.listing import methods_app, metrics_app
from a2bench.cli.weights import weights_app
from a2bench.errors import A2BenchError

app = typer.Typer(help="Reproducible evaluation of character image animation.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
data_app.command("import")(data_import)
app.add_typer(data_app, name="data")
app.add_typer(suites_app, name="suites")
app.add_typer(metrics_app, name="metrics")
app.add_typer(methods_app, name="methods")
app.add_typer(weights_app, name="weights")
app.add_typer(cache_app, name="cache")


def _version(value: bool) -> None:
    if value:
        out.print(f"a2bench {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    """Reproducible evaluation of character image animation."""


@app.command()
def demo(out_dir: Annotated[Path, typer.Option("--out", help="Run directory for videos, database and "
                                               "reports.")] = Path("a2bench-demo"),
         root: RootOption = None, quiet: QuietOption = False) -> None:
    """Generate synth-mini, run the CPU baselines, score them and write an HTML leaderboard."""
    from a2bench.demo import run_demo
    from a2bench.reports.terminal import terminal_table

    outcome = run_demo(out_dir, root, quiet)
    out.print(terminal_table(outcome.results))
    out.print(f"HTML leaderboard: {outcome.html_path.resolve()}")
    out.print(f"Results: {outcome.results_path.resolve()}")


@app.command()
def evaluate(pred: Annotated[Path, typer.Option("--pred", help="Folder of predicted videos (.mp4 or frame "
                                                "folders).")],
             gt: Annotated[Path | None, typer.Option("--gt", help="Folder of ground-truth videos, matched by file "
                                                     "stem.")] = None,
             suite: Annotated[str | None, typer.Option(help="Score against this suite's ground truth instead of "
                                                       "--gt (records its fingerprint).")] = None,
             protocol: Annotated[str, typer.Option(help="Protocol id.")] = "animatex-paper",
             metrics: Annotated[str | None, typer.Option(help="Comma-separated metrics (default: psnr,ssim,l1; "
                                                         "see `a2bench metrics list`).")] = None,
             json_out: Annotated[Path | None, typer.Option("--json", help="Write the results document here.")]
             = None,
             ref: Annotated[Path | None, typer.Option("--ref", help="Folder of reference images <case>.png "
                                                      "(for clip_identity).")] = None,
             weights_dir: Annotated[Path | None, typer.Option(help="Weights folder (default: $A2BENCH_WEIGHTS or "
                                                              "the per-user cache).")] = None,
             device: Annotated[str, typer.Option(help="auto, cpu, cuda or cuda:N.")] = "auto",
             batch_size: Annotated[int, typer.Option(min=1, help="Frames or clips per network batch.")] = 16,
             workers: Annotated[int, typer.Option(min=0, help="Threads decoding videos ahead.")] = 0,
             fast: Annotated[bool, typer.Option(help="Allow TF32/cuDNN autotuning (recorded; not exact).")] = False,
             seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
             bootstrap_resamples: Annotated[int, typer.Option(min=0, help="Resamples for the intervals of FID, "
                                                              "FID-VID and FVD (0: no interval).")] = 200,
             cache_dir: Annotated[Path | None, typer.Option(help="Feature cache folder (default: the per-user "
                                                            "cache).")] = None,
             cache: Annotated[bool, typer.Option(help="Reuse and store features in the cache.")] = True,
             root: RootOption = None, quiet: QuietOption = False) -> None:
    """Score a folder of predicted videos against a folder of ground-truth videos (or a suite)."""
    from a2bench.data.suites import open_suite
    from a2bench.metrics import get_protocol, resolve_metrics
    from a2bench.metrics.base import MetricContext
    from a2bench.metrics.cache import FeatureCache
    from a2bench.progress import progress_bar
    from a2bench.provenance import collect
    from a2bench.reports.terminal import terminal_table
    from a2bench.results import build_results, write_json
    from a2bench.scoring import Scorer, match_folders, match_suite, score_pairs

    chosen = get_protocol(protocol)
    names = [n.strip() for n in metrics.split(",") if n.strip()] if metrics else None
    resolved = resolve_metrics(chosen.id, names)
    if (gt is None) == (suite is None):
        raise A2BenchError("pass either --gt DIR or --suite NAME", fix="see `a2bench evaluate --help`")
    suite_info = None
    if suite is not None:
        opened = open_suite(suite, root)
        pairs = match_suite(pred, opened)
        suite_info = {"id": opened.name, "fingerprint": opened.manifest.fingerprint(), "setting": "self"}
    else:
        pairs = match_folders(pred, gt, ref)  # type: ignore[arg-type]
    context = MetricContext(device=device, batch_size=batch_size, workers=workers, weights_dir=weights_dir,
                            fast=fast, cache_dir=cache_dir)
    features = FeatureCache.for_context(context).features if cache else None
    scorer = Scorer(chosen, resolved, context, features=features, seed=seed,
                    bootstrap_resamples=bootstrap_resamples)
    with progress_bar("Scoring", len(pairs), quiet) as advance:
        outcome = score_pairs(pairs, scorer, on_case=advance, workers=workers)
    provenance = collect({"bootstrap": seed}, {"bootstrap_resamples": bootstrap_resamples,
                                               "pred_dir": str(pred.resolve()),
                                               "gt_dir": str(gt.resolve()) if gt else None,
                                               **context.provenance()})
    results = build_results(chosen, suite_info, provenance, {"pred": outcome}, resolved, seed=seed)
    out.print(terminal_table(results))
    for name, reason in outcome.skipped.items():
        err.print(f"skipped {name}: {reason}", markup=False, highlight=False)
    if json_out:
        out.print(f"Results: {write_json(json_out, results).resolve()}")


@app.command()
def report(run_dir: Annotated[Path, typer.Argument(help="A run directory (from `a2bench demo` or a run).")]
           ) -> None:
    """Re-export results.json and render the HTML and Markdown leaderboards of a run directory."""
    from a2bench.pipeline import export_results, write_reports
    from a2bench.reports.terminal import terminal_table
    from a2bench.results import RESULTS_FILE, load_results
    from a2bench.store import STORE_FILE, Store

    if not run_dir.is_dir():
        raise A2BenchError("run directory does not exist", path=run_dir, fix="pass the --out folder of a run")
    database = run_dir / STORE_FILE
    if database.exists():
        with Store(database) as store:
            run_id = store.latest_run()
            if run_id is None:
                raise A2BenchError("the run database holds no run", path=database, fix="run it again")
            results = export_results(store, run_id)
    else:
        results = load_results(run_dir / RESULTS_FILE)
    _, html_path, md_path = write_reports(results, run_dir)
    out.print(terminal_table(results))
    out.print(f"HTML leaderboard: {html_path.resolve()}")
    out.print(f"Markdown: {md_path.resolve()}")


def main() -> None:
    """Console entry point: user errors become one line on stderr and exit status 1."""
    try:
        app()
    except A2BenchError as exc:
        err.print(f"error: {exc.line()}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted; completed work is saved and will be resumed", markup=False)
        sys.exit(130)
