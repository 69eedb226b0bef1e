"""Reports: autoescaped, self-contained HTML; Markdown with best values marked; formatting."""

from __future__ import annotations

from a2bench.reports.html import render_html
from a2bench.reports.markdown import render_markdown
from a2bench.reports.table import build_leaderboard, format_value


def results(name: str = "ours") -> dict:
    metric = {"value": 0.5, "ci95": [0.4, 0.6], "n": 3}
    return {
        "protocol": {"id": "animatex-paper", "version": "1.0"},
        "suite": {"id": "synth-mini", "fingerprint": "f" * 64, "setting": "self"},
        "provenance": {"note": "</pre><script>alert(1)</script>"},
        "metric_info": {"ssim": {"label": "SSIM", "higher_is_better": True},
                        "l1": {"label": "L1", "higher_is_better": False}},
        "methods": {
            name: {"metrics": {"ssim": metric, "l1": {"value": 2e-4, "ci95": None, "n": 3}},
                   "per_case": {"c1": {"ssim": 0.5, "l1": 2e-4}}},
            "other": {"metrics": {"ssim": {"value": 0.7, "ci95": None, "n": 3},
                                  "l1": {"value": 1e-4, "ci95": None, "n": 3}}, "per_case": {}},
        },
    }


def test_html_escapes_every_user_string() -> None:
    html = render_html(results("<img src=x onerror=alert(1)>"))
    assert "<img src=x" not in html and "&lt;img src=x" in html
    assert "<script>alert" not in html


def test_html_loads_nothing_remote() -> None:
    html = render_html(results())
    for marker in ("http://", "https://", "<link", "<script", "@import"):
        assert marker not in html


def test_best_value_follows_the_metric_direction() -> None:
    board = build_leaderboard(results())
    best = {name: [c.best for c in cells] for name, cells in board.rows}
    assert best == {"ours": [False, False], "other": [True, True]}
    markdown = render_markdown(results())
    assert "| other | **0.700** | **1.00e-04** |" in markdown
    assert "SSIM ↑" in markdown and "L1 ↓" in markdown


def test_uncalibrated_runs_are_flagged() -> None:
    document = results()
    document["provenance"]["uncalibrated"] = True
    assert "UNCALIBRATED" in render_html(document)
    assert "UNCALIBRATED" in render_markdown(document)


def test_format_value() -> None:
    assert format_value(1.0234e-4) == "1.02e-04"
    assert format_value(13.6) == "13.60"
    assert format_value(0.452) == "0.452"
    assert format_value(None) == "—"


def test_skipped_metrics_show_a_dash_and_the_reason() -> None:
    document = results()
    document["metric_info"]["fid"] = {"label": "FID", "higher_is_better": False}
    for entry in document["methods"].values():
        entry["metrics"]["fid"] = {"value": None, "ci95": None, "n": 0,
                                   "skipped": "weights missing — run `a2bench weights fetch pt_inception`"}
    markdown = render_markdown(document)
    assert "| — |" in markdown and "fid skipped: weights missing" in markdown
    assert "a2bench weights fetch pt_inception" in render_html(document)
