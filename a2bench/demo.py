"""The demo: generate synth-mini, run the CPU baselines, score them through the evaluation service, report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from a2bench.data.prepare import prepare_generated
from a2bench.data.settings import open_setting
from a2bench.data.suites import open_suite
from a2bench.evaluation import ScoringOptions, Target, export_results, prepare, write_reports
from a2bench.generate.adapter import get_adapter
from a2bench.generate.runner import run_method
from a2bench.metrics.registry import DEFAULT_PROTOCOL, get_protocol
from a2bench.pairs import match_suite
from a2bench.progress import progress_bar
from a2bench.writable import require_writable_folder

DEMO_SUITE = "synth-mini"
DEMO_METHODS = ("static", "pose-warp")
GENERATION_SEED = 0


@dataclass(frozen=True)
class DemoOutcome:
    """Where the demo wrote its files, and the results it shows."""

    results: dict[str, Any]
    results_path: Path
    html_path: Path
    markdown_path: Path


def run_demo(out_dir: Path, root: Path | None = None, quiet: bool = False) -> DemoOutcome:
    """Prepare the suite, generate and score every demo method (resuming earlier work), render reports.

    Every metric of the default protocol is requested: those whose weights are not installed are listed as
    skipped with the command that fetches them, rather than silently left out.
    """
    require_writable_folder(out_dir, "--out")  # before anything is generated into it
    suite = open_suite(DEMO_SUITE, root)
    cases = suite.cases()
    with progress_bar(f"Preparing {suite.name}", len(cases), quiet) as advance:
        prepare_generated(suite, on_case=advance)
    target = Target(open_setting(suite, "self"))
    size = suite.manifest.protocol_defaults.resolution
    for method in DEMO_METHODS:
        with progress_bar(f"Generating {method}", len(cases), quiet) as advance:
            videos = run_method(get_adapter(method), cases, size, out_dir / "videos", GENERATION_SEED,
                                on_case=advance)
        pairs = match_suite(videos, target.setting)  # type: ignore[arg-type]
        options = ScoringOptions(device="cpu", metrics=get_protocol(DEFAULT_PROTOCOL).metric_names())
        evaluation = prepare(out_dir, options, target, pairs, {"generation": GENERATION_SEED})
        with progress_bar(f"Scoring {method}", len(pairs), quiet) as advance:
            evaluation.score(method, pairs, on_case=advance)
    results = export_results(out_dir)
    json_path, html_path, md_path = write_reports(results, out_dir)
    return DemoOutcome(results, json_path, html_path, md_path)
