"""The demo: `a2bench run` on synth-mini with the two CPU baselines, after generating the suite itself."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from a2bench.data.prepare import prepare_generated
from a2bench.data.suites import open_suite
from a2bench.evaluation import ScoringOptions
from a2bench.generate.runner import GenerateOptions
from a2bench.metrics.registry import DEFAULT_PROTOCOL, get_protocol
from a2bench.progress import progress_bar
from a2bench.run import run_suite
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
    """Prepare the suite, then `run` it: generate and score every demo method (resuming earlier work), report.

    Every metric of the default protocol is requested: those whose weights are not installed are listed as
    skipped with the command that fetches them, rather than silently left out.
    """
    require_writable_folder(out_dir, "--out")  # before anything is generated into it
    suite = open_suite(DEMO_SUITE, root)
    with progress_bar(f"Preparing {suite.name}", len(suite.manifest.cases), quiet) as advance:
        prepare_generated(suite, on_case=advance)
    generation = GenerateOptions(suite=DEMO_SUITE, methods=DEMO_METHODS, seeds=(GENERATION_SEED,), devices=("cpu",),
                                 root=root)
    scoring = ScoringOptions(device="cpu", metrics=get_protocol(DEFAULT_PROTOCOL).metric_names(), workers=0)
    outcome = run_suite(out_dir, generation, scoring, quiet=quiet)
    return DemoOutcome(outcome.results, outcome.results_path, outcome.html_path, outcome.markdown_path)
