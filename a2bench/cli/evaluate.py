"""`a2bench evaluate`: score a folder of predicted videos against ground truth (a folder or a suite)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from a2bench.cli.common import QuietOption, RootOption, err, out, show_report
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
from a2bench.errors import A2BenchError


def evaluate(pred: Annotated[Path, typer.Option("--pred", help="Folder of predicted videos (.mp4 or frame "
                                                "folders).")],
             gt: Annotated[Path | None, typer.Option("--gt", help="Folder of ground-truth videos, matched by file "
                                                     "stem.")] = None,
             suite: Annotated[str | None, typer.Option("--suite", help="Score against this suite's ground truth "
                                                       "instead of --gt (records its fingerprint).")] = None,
             setting: Annotated[str, typer.Option("--setting", help="With --suite: self, rescaled or track:OPS "
                                                  "(see `a2bench data derive --help`).")] = "self",
             derive_seed: Annotated[int, typer.Option("--derive-seed", min=0, help="Seed of a derived setting.")] = 0,
             method: Annotated[str | None, typer.Option("--method", help="Method name in the run (default: the "
                                                        "--pred folder's name).")] = None,
             out_dir: Annotated[Path | None, typer.Option("--out", help="Run directory: results.json, leaderboards "
                                                          "and a2bench.sqlite; several calls add methods.")] = None,
             json_out: Annotated[Path | None, typer.Option("--json", help="Also write the results document here.")]
             = None,
             ref: Annotated[Path | None, typer.Option("--ref", help="Folder of reference images <case>.png "
                                                      "(for clip_identity with --gt).")] = None,
             unverified: Annotated[bool, typer.Option("--unverified", help="Score a suite's ground truth even where "
                                                      "it differs from the manifest (recorded as unverified).")]
             = False,
             protocol: ProtocolOption = "animatex-paper", metrics: MetricsOption = None,
             weights_dir: WeightsDirOption = None, device: DeviceOption = "auto", batch_size: BatchOption = 16,
             workers: WorkersOption = None, fast: FastOption = False, seed: SeedOption = 0,
             bootstrap_resamples: ResamplesOption = 200, cache_dir: CacheDirOption = None, cache: CacheOption = True,
             root: RootOption = None, quiet: QuietOption = False) -> None:
    """Score a folder of predicted videos against a folder of ground-truth videos (or a suite)."""
    from a2bench.data.settings import open_setting
    from a2bench.data.suites import open_suite
    from a2bench.evaluation import ScoringOptions, Target, export_results, prepare, run_folder, write_reports
    from a2bench.names import check_name
    from a2bench.pairs import match_folders, match_suite
    from a2bench.progress import progress_bar
    from a2bench.results import write_json
    from a2bench.writable import require_apart_from_inputs, require_writable_file

    names = parse_metrics(metrics)
    if (gt is None) == (suite is None):
        raise A2BenchError("pass either --gt DIR or --suite NAME", fix="see `a2bench evaluate --help`")
    if json_out is not None:
        require_writable_file(json_out, "--json")
    if suite is not None:
        opened = open_suite(suite, root)
        target = Target(open_setting(opened, setting, derive_seed), verified=not unverified)
        pairs = match_suite(pred, target.setting, verify=not unverified)  # type: ignore[arg-type]
    else:
        if setting != "self" or unverified:
            raise A2BenchError("--setting and --unverified apply to --suite only", fix="drop them, or use --suite")
        pairs = match_folders(pred, gt, ref)  # type: ignore[arg-type]
        target = Target()
    method = check_name(method or pred.resolve().name, "method name (--method)")  # --pred is a folder by now
    if out_dir is not None:
        require_apart_from_inputs(out_dir, "--out", {"--pred": pred, **({"--gt": gt} if gt else {})})
    options = ScoringOptions(protocol=protocol, metrics=names, device=device, batch_size=batch_size,
                             workers=workers, weights_dir=weights_dir, fast=fast, cache_dir=cache_dir,
                             use_cache=cache, seed=seed, bootstrap_resamples=bootstrap_resamples)
    with run_folder(out_dir) as run_dir:
        evaluation = prepare(run_dir, options, target, pairs)
        with progress_bar(f"Scoring {method}", len(pairs), quiet) as advance:
            evaluation.score(method, pairs, on_case=advance, provenance={
                "pred_dir": str(pred.resolve()), "gt_dir": str(gt.resolve()) if gt else None})
        results = export_results(run_dir)
        if out_dir is not None:
            write_reports(results, run_dir)
    show_report(results)
    for case_id, notes in sorted(results["methods"][method].get("notes", {}).items()):
        for note in notes:  # scored as the protocol says; also recorded in results.json (methods.M.notes)
            err.print(f"warning: {case_id}: {note}", markup=False, highlight=False, soft_wrap=True)
    if out_dir is not None:
        out.print(f"Run directory: {out_dir.resolve()}", markup=False, highlight=False, soft_wrap=True)
    if json_out is not None:
        out.print(f"Results: {write_json(json_out, results).resolve()}", markup=False, highlight=False,
                  soft_wrap=True)
