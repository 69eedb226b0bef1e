"""Reports from hand-made documents: best and second marks, formatting, intervals, escaping, missing cases,
skipped metrics, reference rows, cost, tag breakdown, per-case tables, settings as sections, previews, plots."""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import re
from html import unescape
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from a2bench.errors import A2BenchError, UnknownNameError
from a2bench.reports.breakdown import case_tables, tag_tables
from a2bench.reports.html import code_spans, render_html, script
from a2bench.reports.markdown import render_markdown
from a2bench.reports.plots import scatter_svg
from a2bench.reports.previews import THUMB_FRAMES, THUMB_SIDE
from a2bench.reports.reference import reference_table, table_ids
from a2bench.reports.runs import Run, RunsDisagree, attach_reference, merge_runs, single_report
from a2bench.reports.table import Leaderboard, build_leaderboard, format_value, ranks
from a2bench.video.io import write_video
from tests.report_documents import document

HOSTILE = '<img src=x onerror="window.__pwned=1">'


def marks(board: Leaderboard) -> dict[str, list[int]]:
    return {row.name: [cell.rank for cell in row.cells] for row in board.rows}


def test_best_and_second_follow_each_metric_direction() -> None:
    board = build_leaderboard(document())
    assert [c.key for c in board.columns] == ["psnr", "l1", "fid"]
    assert [c.heading for c in board.columns] == ["PSNR* ↑", "L1 ↓", "FID ↓"]
    # PSNR* (higher): beta 25 best, alpha 23 second, gamma 20. L1 (lower): beta and gamma tie at 1e-4.
    assert marks(board) == {"alpha": [2, 2, 0], "beta": [1, 1, 0], "gamma": [0, 1, 0]}


def test_ranks_need_values_to_compare() -> None:
    assert ranks([1.0], True) == [0]
    assert ranks([1.0, 2.0], True) == [0, 1]  # two rows: no 'second'
    assert ranks([None, 1.0, 2.0, 3.0], False) == [0, 1, 2, 0]
    assert ranks([5.0, 5.0, 4.0], True) == [1, 1, 2]


def test_values_are_formatted_alike_per_column() -> None:
    board = build_leaderboard(document())
    beta = board.rows[1]
    assert beta.cells[0].text == "25.00" and beta.cells[0].interval == "[12.50, 37.50]" and beta.cells[0].n == 4
    assert beta.cells[1].text == "1.00e-04" and beta.cells[1].interval == "[5.00e-05, 1.50e-04]"
    assert board.columns[1].scientific and not board.columns[0].scientific
    assert format_value(1.0234e-4) == "1.02e-04" and format_value(13.6) == "13.60"
    assert format_value(0.452) == "0.452" and format_value(None) == "—"
    assert format_value(0.5, scientific=True) == "5.00e-01"


def test_markdown_prints_intervals_marks_and_case_counts() -> None:
    markdown = render_markdown(document())
    assert "| Method | Cases | PSNR\\* ↑ | L1 ↓ | FID ↓ |" in markdown
    assert "| beta | 4/4 | **25.00** [12.50, 37.50] | **1.00e-04** [5.00e-05, 1.50e-04] | — |" in markdown
    assert "| alpha | 4/4 | <ins>23.00</ins> [11.50, 34.50] | <ins>2.00e-04</ins> [1.00e-04, 3.00e-04] | — |" \
        in markdown
    assert "FID skipped: /w/pt\\_inception.pth" in markdown


def test_markdown_escapes_user_names() -> None:
    markdown = render_markdown(document({"alpha": "a|b*c_<script>x</script>"}))
    assert "<script>" not in markdown
    assert "| a\\|b\\*c\\_&lt;script&gt;x&lt;/script&gt; | 4/4 |" in markdown
    table = [line for line in markdown.splitlines() if line.startswith("| ")]
    assert len({len(re.findall(r"(?<!\\)\|", line)) for line in table}) == 1  # no name adds a cell


def test_missing_cases_are_shown_never_hidden() -> None:
    results = document()
    del results["methods"]["gamma"]["per_case"]["c4"]
    board = build_leaderboard(results)
    assert board.rows[2].missing == ["c4"] and board.rows[2].scored == 3 and board.cases == 4
    assert "gamma: 1 of 4 cases not scored (c4)" in render_markdown(results)
    html = render_html(results, previews=False)
    assert "Cases not scored" in html and "3/4" in html and 'title="not scored: c4"' in html
    per_case = case_tables(single_report(results).sections[0], board)[0]
    assert [v.text for v in per_case.rows[3].values] == ["26.00", "25.00", "missing"]


def test_skipped_metrics_are_listed_with_the_command_that_fixes_them() -> None:
    html = render_html(document(), previews=False)
    assert "<code>a2bench weights fetch fid-inception</code>" in html and "Skipped metrics" in html
    assert code_spans("a <b> `rm -rf <x>`") == "a &lt;b&gt; <code>rm -rf &lt;x&gt;</code>"


def test_uncalibrated_runs_are_flagged_everywhere() -> None:
    results = document()
    results["provenance"]["uncalibrated"] = True
    assert 'id="uncalibrated"' in render_html(results, previews=False)
    assert "**UNCALIBRATED**" in render_markdown(results)


def test_html_is_self_contained_and_runs_only_its_own_script() -> None:
    html = render_html(document(), previews=False)
    assert html.count("<script") == 1 and "<script>" in html  # inline, no src
    for marker in ("http://", "https://", "<link", "@import", "src=\"//"):
        assert marker not in html
    assert not re.search(r"url\((?!#)", html)  # only in-page references (SVG clip paths)
    digest = base64.b64encode(hashlib.sha256(script().encode()).digest()).decode()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    assert unescape(policy).startswith(f"default-src 'none'; script-src 'sha256-{digest}';")
    assert f"<script>{script()}</script>" in html


def test_html_escapes_every_user_string(tmp_path: Path) -> None:
    results = document({"alpha": HOSTILE, "beta": "<script>window.__pwned=2</script>"})
    results["cases"]["c1"]["tags"]["style"] = "<b>bold</b>"
    results["cases"]["c1"]["files"] = {"reference": str(tmp_path / '"><svg onload=alert(1)>.png')}
    results["methods"][HOSTILE]["notes"] = {"c1": ["<i>note</i>"]}
    html = render_html(results)
    assert "<img src=x" not in html and "&lt;img src=x onerror=" in html
    assert "<script>window" not in html and "&lt;script&gt;window.__pwned=2" in html
    assert "<b>bold</b>" not in html and "<i>note</i>" not in html and "<svg onload" not in html


def test_reference_rows_are_marked_and_excluded_from_the_marks() -> None:
    report = single_report(document(suite="a2bench", setting="rescaled"))
    attach_reference(report, reference_table("table1_a2bench_rescaled"))
    board = build_leaderboard(report.sections[0])
    animate_x = next(row for row in board.reported if row.name == "Animate-X")
    assert animate_x.reported and [c.text for c in animate_x.cells] == ["13.60", "1.02e-04", "26.11"]
    assert all(cell.rank == 0 for row in board.reported for cell in row.cells)
    assert marks(board)["beta"] == [1, 1, 0]  # the paper's 13.60 does not displace a2bench's own best
    html = render_html(report, previews=False)
    reported = html[html.index('<tbody class="reported">'):]
    assert "Animate-X<span class=\"badge\">as reported in the paper</span>" in reported
    assert "did not compute them" in html and "L1 is lower-is-better" in html
    assert "Animate-X (as reported)" in render_markdown(report)


def test_reference_tables_are_checked() -> None:
    assert "table2_a2bench_self" in table_ids()
    with pytest.raises(UnknownNameError, match="table1_a2bench_rescaled"):
        reference_table("table9")
    with pytest.raises(A2BenchError, match="suite a2bench, setting rescaled; these runs are on synth-mini"):
        attach_reference(single_report(document()), reference_table("table1_a2bench_rescaled"))
    fashion = reference_table("table8_fashion")
    assert fashion.suite == "ubc-fashion" and fashion.rows["Animate-X"]["psnr"] == 27.78


def test_another_protocol_gets_a_stronger_caveat() -> None:
    report = single_report(document(suite="a2bench", protocol="a2bench-v1"))
    attach_reference(report, reference_table("table2_a2bench_self"))
    assert "compare reported rows with animatex-paper runs only" in build_leaderboard(report.sections[0]).caveat


def test_cost_is_shown_when_recorded() -> None:
    results = document()
    results["methods"]["alpha"]["cost"] = {"videos": 4, "seconds_per_video": 12.34, "peak_gpu_bytes": 3 * 2**30}
    results["methods"]["beta"]["cost"] = {"videos": 4, "seconds_per_video": 0.5, "peak_gpu_bytes": None}
    html = render_html(results, previews=False)
    cost = html[html.index('<table class="cost">'):]
    cost = cost[:cost.index("</table>")]
    assert "<td>12.3 s</td><td>3.0 GiB</td>" in cost and "<td>0.5 s</td><td>—</td>" in cost and "gamma" not in cost
    assert "| alpha | 4 | 12.3 s | 3.0 GiB |" in render_markdown(results)
    assert "Cost" not in render_html(document(), previews=False)


def test_breakdown_by_tag_averages_each_tags_cases() -> None:
    results = document()
    section = single_report(results).sections[0]
    tables = {t.key: t for t in tag_tables(section, build_leaderboard(section))}
    assert list(tables) == ["body_structure", "style"]
    rows = {(r.tag, r.method): r for r in tables["body_structure"].rows}
    assert [rows[("humanoid", m)].values[0].value for m in ("alpha", "beta", "gamma")] == [21.0, 25.0, 20.0]
    assert [rows[("armless", m)].values[0].value for m in ("alpha", "beta", "gamma")] == [25.0, 25.0, 20.0]
    assert [rows[("humanoid", m)].values[0].rank for m in ("alpha", "beta", "gamma")] == [2, 1, 0]
    assert rows[("humanoid", "alpha")].cases == 2 and [c.key for c in tables["style"].columns] == ["psnr", "l1"]
    html = render_html(results, previews=False)
    assert "By body_structure" in html and "By style" in html


def test_per_case_tables_mark_each_cases_best() -> None:
    section = single_report(document()).sections[0]
    psnr = case_tables(section, build_leaderboard(section))[0]
    assert psnr.column.key == "psnr" and psnr.methods == ["alpha", "beta", "gamma"]
    first = psnr.rows[0]
    assert first.case_id == "c1" and first.tags == {"body_structure": "humanoid", "style": "dance"}
    assert [(v.value, v.rank) for v in first.values] == [(20.0, 0), (25.0, 2), (30.0, 1)]


def test_settings_become_sections_of_one_report() -> None:
    runs = [Run(document(setting=setting), Path(setting)) for setting in ("track:arms=1.5", "self", "track:arms=0.5")]
    report = merge_runs(runs)
    assert [s.setting for s in report.sections] == ["self", "track:arms=1.5", "track:arms=0.5"]
    html = render_html(report, previews=False)
    assert len(re.findall(r'role="tab" id="tab-s\d+"', html)) == 3 and 'id="tab-across"' in html
    across = html[html.index('id="panel-across"'):]
    assert "arms scaled" in across and across.count('<svg class="plot"') == 2  # PSNR* and L1 (FID has no value)
    assert "### synth-mini (track:arms=0.5)" in render_markdown(report)


def test_runs_that_measured_differently_are_refused() -> None:
    base = document()
    other = copy.deepcopy(base)
    other["suite"]["fingerprint"] = "e" * 64
    other["protocol"]["digest"] = "9" * 64
    with pytest.raises(RunsDisagree, match="protocol digest: dddddddddddd… vs 999999999999…; suite fingerprint"):
        merge_runs([Run(base, Path("a")), Run(other, Path("b"))])
    weighted = [copy.deepcopy(base), copy.deepcopy(base)]
    weighted[0]["run"]["weights"], weighted[1]["run"]["weights"] = {"vgg16": "1" * 64}, {"vgg16": "2" * 64}
    with pytest.raises(RunsDisagree, match="weights vgg16"):
        merge_runs([Run(weighted[0], Path("a")), Run(weighted[1], Path("b"))])


def test_a_method_appears_once_per_setting() -> None:
    with pytest.raises(RunsDisagree, match="method 'alpha' of setting self is in two runs: a and b"):
        merge_runs([Run(document(), Path("a")), Run(document(), Path("b"))])


def test_previews_are_small_animated_webp_or_a_placeholder(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    results = document()
    write_video(tmp_path / "gt", rng.integers(0, 256, (20, 160, 240, 3), dtype=np.uint8))
    write_video(tmp_path / "alpha.mp4", rng.integers(0, 256, (12, 64, 96, 3), dtype=np.uint8))
    Image.fromarray(rng.integers(0, 256, (300, 200, 3), dtype=np.uint8)).save(tmp_path / "ref.png")
    results["cases"]["c1"]["files"] = {"ground_truth": str(tmp_path / "gt"), "reference": str(tmp_path / "ref.png"),
                                       "skeleton": str(tmp_path / "gone")}
    results["methods"]["alpha"]["videos"] = {"c1": str(tmp_path / "alpha.mp4")}
    html = render_html(results)
    block = html[html.index("<summary>c1</summary>"):html.index("<summary>c2</summary>")]
    uris = re.findall(r'src="data:image/webp;base64,([^"]+)"', block)
    assert len(uris) == 3  # reference, ground truth, alpha
    for uri in uris:
        with Image.open(io.BytesIO(base64.b64decode(uri))) as image:
            assert image.format == "WEBP" and max(image.size) <= THUMB_SIDE
            assert getattr(image, "n_frames", 1) <= THUMB_FRAMES
    with Image.open(io.BytesIO(base64.b64decode(uris[1]))) as gt:
        assert gt.n_frames == THUMB_FRAMES and gt.size == (THUMB_SIDE, 75)
    assert "file missing" in block and "not scored" in block  # skeleton gone; beta has no video
    assert "left out" not in html
    small = render_html(results, budget=1)
    assert "Previews of 4 case(s) are left out" in small and "data:image/webp" not in small


def test_plots_are_inline_svg_without_urls_or_markup_from_names() -> None:
    svg = scatter_svg([(1.0, 2.0), (2.0, 1.5)], "<b>$x$</b>", "y & z", "t", "salt")
    assert svg.startswith('<svg class="plot" role="img"') and svg.rstrip().endswith("</svg>")
    assert "http" not in svg and "<?xml" not in svg and "<b>" not in svg
    assert "&lt;b&gt;$x$&lt;/b&gt;" in svg and "y &amp; z" in svg
