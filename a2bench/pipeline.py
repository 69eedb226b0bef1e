"""Glue between scoring, the store and the reports: score into a run, export results, render reports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from a2bench.metrics.base import Metric
from a2bench.metrics.protocols import Protocol, get_protocol
from a2bench.metrics.registry import get_metric
from a2bench.reports.html import render_html
from a2bench.reports.markdown import render_markdown
from a2bench.results import RESULTS_FILE, build_results, write_json
from a2bench.scoring import CaseScore, VideoPair, score_pair
from a2bench.store import Store

HTML_FILE = "leaderboard.html"
MARKDOWN_FILE = "leaderboard.md"


def score_into_store(store: Store, run_id: int, method: str, pairs: Sequence[VideoPair], protocol: Protocol,
                     metrics: Sequence[Metric], on_case: Callable[[str], None] | None = None) -> None:
    """Score the pairs not yet scored in this run; each case is committed as soon as it is done."""
    done = store.scored_cases(run_id, method)
    for pair in pairs:
        if pair.case_id not in done:
            store.record_case(run_id, method, score_pair(pair, protocol, metrics))
        if on_case:
            on_case(pair.case_id)


def export_results(store: Store, run_id: int) -> dict[str, Any]:
    """The results document of a stored run."""
    run = store.run(run_id)
    protocol = get_protocol(run["protocol_id"])
    metrics = [get_metric(protocol.id, name) for name in run["metrics"]]
    methods: dict[str, Sequence[CaseScore]] = {m: store.case_scores(run_id, m) for m in store.methods(run_id)}
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
