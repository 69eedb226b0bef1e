"""The demo: generate synth-mini, run the CPU baselines, score them, write the leaderboard."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from a2bench.data.prepare import prepare_generated
from a2bench.data.suites import open_suite
from a2bench.generate.adapter import get_adapter
from a2bench.generate.runner import run_method
from a2bench.metrics.bootstrap import DEFAULT_SEED
from a2bench.metrics.protocols import DEFAULT_PROTOCOL, get_protocol
from a2bench.metrics.registry import resolve_metrics
from a2bench.pipeline import export_results, score_into_store, write_reports
from a2bench.progress import progress_bar
from a2bench.provenance import collect
from a2bench.scoring import Scorer, VideoPair
from a2bench.store import STORE_FILE, Store

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
    """Prepare the suite, generate and score every demo method (resuming earlier work), render reports."""
    suite = open_suite(DEMO_SUITE, root)
    cases = suite.cases()
    with progress_bar(f"Preparing {suite.name}", len(cases), quiet) as advance:
        prepare_generated(suite, on_case=advance)
    protocol = get_protocol(DEFAULT_PROTOCOL)
    metrics = resolve_metrics(protocol.id, None)
    size = suite.manifest.protocol_defaults.resolution
    scorer = Scorer(protocol, metrics)
    provenance = collect({"generation": GENERATION_SEED, "bootstrap": DEFAULT_SEED}, scorer.context.provenance())
    with Store(out_dir / STORE_FILE) as store:
        run_id = store.open_run(protocol.id, protocol.version, [m.name for m in metrics], provenance,
                                suite=suite.name, suite_fingerprint=suite.manifest.fingerprint(), setting="self")
        for method in DEMO_METHODS:
            adapter = get_adapter(method)
            with progress_bar(f"Generating {method}", len(cases), quiet) as advance:
                videos = run_method(adapter, cases, size, out_dir / "videos", store, run_id, GENERATION_SEED,
                                    on_case=advance)
            pairs = [VideoPair(case.id, videos[case.id], case.ground_truth, case.reference) for case in cases]
            with progress_bar(f"Scoring {method}", len(pairs), quiet) as advance:
                score_into_store(store, run_id, method, pairs, scorer, on_case=advance)
        results = export_results(store, run_id)
    json_path, html_path, md_path = write_reports(results, out_dir)
    return DemoOutcome(results, json_path, html_path, md_path)
