"""Glue between scoring, the store and the reports: score into a run, export results, render reports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from a2bench.metrics.protocols import get_protocol
from a2bench.metrics.registry import get_metric
from a2bench.reports.html import render_html
from a2bench.reports.markdown import render_markdown
from a2bench.results import RESULTS_FILE, build_results, write_json
from a2bench.scoring import CaseScore, MethodOutcome, Scorer, VideoPair, score_pairs
from a2bench.store import Store

HTML_FILE = "leaderboard.html"
MARKDOWN_FILE = "leaderboard.md"


def score_into_store(store: Store, run_id: int, method: str, pairs: Sequence[VideoPair], scorer: Scorer,
                     on_case: Callable[[str], None] | None = None, workers: int = 0) -> None:
    """Score a method's pairs into the store; each case is committed as soon as it is done.

    Cases already in the store are not scored again unless distribution metrics need their features
    (cheap on resume: features come from the content-addressed cache).
    """
    done = store.scored_cases(run_id, method)
    todo = list(pairs) if scorer.distribution_metrics else [p for p in pairs if p.case_id not in done]
    if on_case:
        for case_id in sorted({p.case_id for p in pairs} - {p.case_id for p in todo}):
            on_case(case_id)

    def record(score: CaseScore) -> None:
        store.record_case(run_id, method, score)
        if on_case:
            on_case(score.case_id)

    outcome = score_pairs(todo, scorer, on_case=record, workers=workers)
    store.record_set_values(run_id, method, outcome.distribution, outcome.skipped)


def export_results(store: Store, run_id: int) -> dict[str, Any]:
    """The results document of a stored run."""
    run = store.run(run_id)
    protocol = get_protocol(run["protocol_id"])
    metrics = [get_metric(protocol.id, name) for name in run["metrics"]]
    methods = {}
    for method in store.methods(run_id):
        distribution, skipped = store.set_values(run_id, method)
        methods[method] = MethodOutcome(store.case_scores(run_id, method), distribution, skipped)
    suite = ({"id": run["suite"], "fingerprint": run["suite_fingerprint"], "setting": run["setting"]}
             if run["suite"] else None)
    provenance = {**run["provenance"], "protocol": {"id": protocol.id, "version": run["protocol_version"]}}
    return build_results(protocol, suite, provenance, methods, metrics,
                         seed=provenance.get("seeds", {}).get("bootstrap", 0))


def write_reports(results: dict[str, Any], out_dir: Path) -> tuple[Path, Path, Path]:
    """Write results.json, leaderboard.html and leaderboard.md into `out_dir`."""
    json_path = write_json(out_dir / RESULTS_FILE, results)
    html_path = out_dir / HTML_FILE
    html_path.write_text(render_html(results), encoding="utf-8")
    md_path = out_dir / MARKDOWN_FILE
    md_path.write_text(render_markdown(results), encoding="utf-8")
    return json_path, html_path, md_path
