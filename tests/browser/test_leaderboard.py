"""The HTML leaderboard in a real headless Chromium: it renders, sorting reorders rows, tabs switch, the console
stays clean, no request leaves the page, hostile names neither run nor inject, and 100 cases × 8 methods stay
usable. Screenshots are written to $A2BENCH_TEST_ARTIFACTS (or a pytest temporary folder) and their paths
printed."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from a2bench.data.suites import Suite
from a2bench.reports.html import render_html
from a2bench.reports.runs import Run, merge_runs
from tests.report_documents import document, many_methods_document

HOSTILE = '<img src=x onerror="window.__pwned=1">'
SCRIPT = "<script>window.__pwned=2</script>"


@dataclass
class Visit:
    """A page opened from a file, with everything it logged, requested and tried to show."""

    page: Any
    url: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def visit(browser: Any, path: Path) -> Visit:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    seen = Visit(page, path.resolve().as_uri())
    page.on("console", lambda message: seen.errors.append(message.text) if message.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on("dialog", lambda dialog: (seen.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(seen.url, wait_until="load")
    return seen


def screenshot(seen: Visit, artifacts: Path, name: str, capsys: pytest.CaptureFixture[str]) -> Path:
    path = artifacts / name
    seen.page.screenshot(path=str(path), full_page=True)
    with capsys.disabled():
        print(f"\nscreenshot: {path}")
    assert path.stat().st_size > 10_000
    return path


def suite_cases(suite: Suite, count: int) -> dict[str, dict[str, Any]]:
    return {case.id: {"tags": dict(case.tags), "files": {role: str(path) for role, path in case.files.items()
                                                          if role in ("ground_truth", "reference", "skeleton")}}
            for case in suite.cases()[:count]}


def column_texts(seen: Visit, selector: str, column: int = 1) -> list[str]:
    return seen.page.eval_on_selector_all(f"{selector} tr", f"rows => rows.map(r => r.cells[{column - 1}].innerText)")


@pytest.fixture(scope="module")
def board(synth_mini: Suite, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two settings of three methods on four synth-mini cases, with previews."""
    cases = suite_cases(synth_mini, 4)
    ids = list(cases)
    methods = {name: {case: cases[ids[(i + k) % 4]]["files"]["ground_truth"] for i, case in enumerate(ids)}
               for k, name in enumerate(("alpha", "beta", "gamma"), start=1)}
    runs = [Run(many_methods_document(cases, methods, seed=seed, setting=setting), Path(setting))
            for seed, setting in enumerate(("self", "track:arms=0.5"))]
    path = tmp_path_factory.mktemp("board") / "leaderboard.html"
    path.write_text(render_html(merge_runs(runs)), encoding="utf-8")
    return path


def test_page_renders_without_errors_or_requests(browser: Any, board: Path, artifacts: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    seen = visit(browser, board)
    assert seen.page.title().startswith("a2bench — synth-mini")
    assert column_texts(seen, "#panel-s0 table.leaderboard tbody") == ["alpha", "beta", "gamma"]
    assert seen.page.locator("#panel-s0 .tiles img").first.is_visible()
    seen.page.locator("#panel-s0 details.preview img").first.scroll_into_view_if_needed()
    assert seen.page.eval_on_selector("#panel-s0 details.preview img", "img => img.naturalWidth") > 0
    screenshot(seen, artifacts, "leaderboard.png", capsys)
    assert seen.errors == [] and seen.dialogs == []
    assert seen.requests == [seen.url]  # the page itself; every image, style and script is inline


def test_sorting_a_column_reorders_rows(browser: Any, board: Path) -> None:
    seen = visit(browser, board)
    values = seen.page.eval_on_selector_all("#panel-s0 table.leaderboard tbody.computed tr",
                                            "rows => rows.map(r => [r.cells[0].innerText, "
                                            "parseFloat(r.cells[2].dataset.v)])")
    by_psnr = [name for name, _ in sorted(values, key=lambda row: -row[1])]
    header = seen.page.locator("#panel-s0 table.leaderboard th", has_text="PSNR*").locator("button")
    header.click()  # higher is better: best first
    assert column_texts(seen, "#panel-s0 table.leaderboard tbody.computed") == by_psnr
    header.click()
    assert column_texts(seen, "#panel-s0 table.leaderboard tbody.computed") == by_psnr[::-1]
    seen.page.locator("#panel-s0 table.per-case").first.locator("th button", has_text="Case").click()
    cases = column_texts(seen, "#panel-s0 table.per-case >> nth=0 >> tbody")
    assert cases == sorted(cases)
    assert seen.errors == []


def test_tabs_switch(browser: Any, board: Path) -> None:
    seen = visit(browser, board)
    panels = {name: seen.page.locator(f"#panel-{name}") for name in ("s0", "s1", "across")}
    assert panels["s0"].is_visible() and panels["s1"].is_hidden() and panels["across"].is_hidden()
    seen.page.locator("#tab-s1").click()
    assert panels["s1"].is_visible() and panels["s0"].is_hidden()
    assert seen.page.locator("#tab-s1").get_attribute("aria-selected") == "true"
    seen.page.locator("#tab-across").click()
    assert panels["across"].locator("svg.plot").first.is_visible() and panels["s1"].is_hidden()
    seen.page.locator("#tab-s0").click()
    metric_tabs = seen.page.locator("#panel-s0 [aria-label='Per-case metric'] [role=tab]")
    assert metric_tabs.count() == 4  # PSNR*, SSIM, L1, LPIPS (FID has no per-case value)
    metric_tabs.nth(2).click()
    assert seen.page.locator("#panel-s0-c3").is_visible() and seen.page.locator("#panel-s0-c1").is_hidden()
    assert seen.errors == []


def test_hostile_names_neither_run_nor_inject(browser: Any, tmp_path: Path, artifacts: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    results = document({"alpha": HOSTILE, "beta": SCRIPT, "gamma": "\"'><svg onload=window.__pwned=3>"},
                       setting="<b>self</b>")
    results["cases"][f"{SCRIPT}c5"] = {"tags": {"style": HOSTILE, "<i>key</i>": "x"},
                                        "files": {"reference": str(tmp_path / f"{HOSTILE}.png")}}
    results["methods"][HOSTILE]["per_case"][f"{SCRIPT}c5"] = {"psnr": 1.0}
    results["methods"][HOSTILE]["notes"] = {"c1": [SCRIPT]}
    results["methods"][SCRIPT]["metrics"]["fid"]["skipped"] = f"`{SCRIPT}` {HOSTILE}"
    results["provenance"]["packages"][HOSTILE] = SCRIPT
    path = tmp_path / "hostile.html"
    path.write_text(render_html(results), encoding="utf-8")
    seen = visit(browser, path)
    page = seen.page
    assert page.evaluate("window.__pwned") is None and seen.dialogs == []
    assert page.evaluate("document.scripts.length") == 1
    assert page.evaluate("document.querySelectorAll('[onerror], [onload], img[src=x], b, i').length") == 0
    assert page.evaluate("document.querySelectorAll('svg:not(.plot)').length") == \
        page.evaluate("document.querySelectorAll('svg.plot svg').length")  # only matplotlib's own
    leaderboard = page.locator("table.leaderboard tbody.computed td:first-child").all_inner_texts()
    assert HOSTILE in leaderboard and SCRIPT in leaderboard
    assert page.get_by_text("<b>self</b>").count() >= 1 and page.get_by_text(f"{SCRIPT}c5").count() >= 1
    screenshot(seen, artifacts, "hostile-names.png", capsys)
    assert seen.errors == [] and seen.requests == [seen.url]


def test_100_cases_by_8_methods_stay_usable(browser: Any, synth_mini: Suite, tmp_path: Path, artifacts: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    pool = suite_cases(synth_mini, 8)
    sources = list(pool.values())
    cases = {f"case-{i:03d}": sources[i % 8] for i in range(100)}
    methods = {f"method-{k}": {case: sources[(i + k) % 8]["files"]["ground_truth"] for i, case in enumerate(cases)}
               for k in range(8)}
    started = time.perf_counter()
    html = render_html(many_methods_document(cases, methods))
    rendered = time.perf_counter() - started
    path = tmp_path / "large.html"
    path.write_text(html, encoding="utf-8")
    started = time.perf_counter()
    seen = visit(browser, path)
    loaded = time.perf_counter() - started
    timing = seen.page.evaluate("(() => { const t = performance.getEntriesByType('navigation')[0]; "
                                "return [t.domContentLoadedEventEnd, t.loadEventEnd]; })()")
    assert seen.page.locator("details.preview").count() == 100
    assert seen.page.locator("details.preview img").count() == 100 * 11
    header = seen.page.locator("table.per-case").first.locator("th button", has_text="method-3")
    started = time.perf_counter()
    header.click()
    sorted_in = time.perf_counter() - started
    values = seen.page.eval_on_selector_all("table.per-case >> nth=0 >> tbody tr",
                                            "rows => rows.map(r => parseFloat(r.cells[5].dataset.v))")
    assert values == sorted(values, reverse=True) and len(values) == 100
    size = path.stat().st_size
    with capsys.disabled():
        print(f"\n100 cases × 8 methods: {size / 2**20:.1f} MiB, rendered in {rendered:.1f} s, loaded in "
              f"{loaded:.2f} s (DOMContentLoaded {timing[0] / 1000:.2f} s, load {timing[1] / 1000:.2f} s), "
              f"sorted 100 rows in {sorted_in:.2f} s")
    screenshot(seen, artifacts, "leaderboard-100x8.png", capsys)
    assert size < 20 * 2**20 and timing[1] < 10_000
    assert seen.errors == [] and seen.requests == [seen.url]
