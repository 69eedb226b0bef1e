"""The HTML leaderboard: one self-contained, offline file (inline CSS, script, SVG plots and WebP previews).

jinja2 autoescapes every value, so no user-controlled string (method, case, tag, path) becomes markup; a
Content-Security-Policy allows only the page's own script (by hash), inline styles and data: images, so
nothing is fetched and nothing injected could run even if escaping failed.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from a2bench.reports.breakdown import CaseTable, TagTable, case_columns, case_tables, tag_tables
from a2bench.reports.cost import cost_cells
from a2bench.reports.figures import across_settings_svgs, scatter_figure
from a2bench.reports.previews import PAGE_BUDGET, Preview, PreviewMaker
from a2bench.reports.runs import Report, Run, Section, single_report
from a2bench.reports.table import Leaderboard, build_leaderboard


def code_spans(text: str) -> Markup:
    """Text with its `backticked` parts (commands) as <code>, everything escaped."""
    parts = str(text).split("`")
    return Markup("").join(Markup("<code>{}</code>").format(part) if index % 2 else Markup.escape(part)
                           for index, part in enumerate(parts))


@cache
def _environment() -> Environment:
    environment = Environment(loader=PackageLoader("a2bench.reports", "templates"),
                              autoescape=select_autoescape(default=True, default_for_string=True),
                              trim_blocks=True, lstrip_blocks=True)
    environment.filters["code_spans"] = code_spans
    environment.filters["cost_cells"] = cost_cells
    return environment


@cache
def script() -> str:
    """The page's script (tabs and sorting)."""
    return resources.files("a2bench.reports").joinpath("leaderboard.js").read_text(encoding="utf-8")


def content_security_policy(script_text: str) -> str:
    """Nothing may load from anywhere; only this script (by its hash), inline styles and data: images."""
    digest = base64.b64encode(hashlib.sha256(script_text.encode("utf-8")).digest()).decode("ascii")
    return (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; img-src data:; "
            "base-uri 'none'; form-action 'none'")


@dataclass
class SectionView:
    """Everything the page shows for one setting."""

    id: str
    section: Section
    board: Leaderboard
    tags: list[TagTable]
    cases: list[CaseTable]
    scatter: Markup | None
    scatter_caption: str
    previews: dict[str, list[Preview] | None] = field(default_factory=dict)


def _previews(section: Section, maker: PreviewMaker) -> dict[str, list[Preview] | None]:
    cases = [(case_id, section.cases.get(case_id, {}).get("files", {}),
              {method: entry.get("videos", {}).get(case_id) for method, entry in section.methods.items()})
             for case_id in section.case_ids()]
    return maker.cases(cases)


def _section_view(index: int, section: Section, maker: PreviewMaker | None) -> SectionView:
    board = build_leaderboard(section)
    scatter, caption = scatter_figure(section, board, case_columns(section, board), f"s{index}")
    return SectionView(f"s{index}", section, board, tag_tables(section, board), case_tables(section, board),
                       Markup(scatter) if scatter else None, caption,
                       _previews(section, maker) if maker else {})


def _run_provenance(run: Run) -> dict[str, Any]:
    """What the footer lists for a run."""
    results = run.results
    provenance = results.get("provenance") or {}
    weights = provenance.get("weights") or {name: {"sha256": sha} for name, sha in
                                            ((results.get("run") or {}).get("weights") or {}).items()}
    return {"label": run.label, "protocol": results["protocol"], "suite": results.get("suite"),
            "run": results.get("run") or {}, "provenance": provenance, "weights": weights,
            "packages": provenance.get("packages") or {},
            "json": json.dumps(provenance, indent=2, ensure_ascii=False, default=str)}


def render_html(report: Report | Mapping[str, Any], previews: bool = True, budget: int = PAGE_BUDGET) -> str:
    """The leaderboard page of a report (or of one results document); `previews` off leaves the animations out."""
    from a2bench.provenance import now

    if not isinstance(report, Report):
        report = single_report(dict(report))
    maker = PreviewMaker(budget) if previews else None
    sections = [_section_view(i, section, maker) for i, section in enumerate(report.sections)]
    text = script()
    return _environment().get_template("leaderboard.html.j2").render(
        report=report, sections=sections, across=[Markup(svg) for svg in across_settings_svgs(report)],
        runs=[_run_provenance(run) for run in report.runs], generated=now(), script=Markup(text),
        csp=content_security_policy(text), previews_on=previews,
        omitted=maker.omitted if maker else 0, budget_mib=budget / 2**20)
