"""Tables for papers: LaTeX (booktabs, arrows, marks, E-notation, caption, reference rows, escaping, compiles)
and CSV (every value at full precision, no spreadsheet formula from a name)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path

import pandas as pd

from a2bench.reports.csv_table import render_csv
from a2bench.reports.latex import render_latex
from a2bench.reports.reference import reference_table
from a2bench.reports.runs import Run, attach_reference, merge_runs, single_report
from tests.report_documents import document
from tests.tools import tool_missing


def body_rows(latex: str) -> dict[str, list[str]]:
    """The tabular's body rows (between \\midrule and \\bottomrule) as {first cell: other cells}."""
    body = latex[latex.index("\\midrule") + len("\\midrule"):latex.index("\\bottomrule")]
    rows = [line.removesuffix("\\\\").strip() for line in body.strip().splitlines() if line.strip() != "\\midrule"]
    return {cells[0]: cells[1:] for cells in ([c.strip() for c in row.split("&")] for row in rows)}


def test_latex_is_booktabs_with_arrows_marks_and_paper_notation() -> None:
    latex = render_latex(document())
    assert "\\toprule" in latex and "\\midrule" in latex and "\\bottomrule" in latex and "\\hline" not in latex
    header = latex[latex.index("\\toprule") + len("\\toprule"):latex.index("\\midrule")].strip()
    assert header == "Method & PSNR* $\\uparrow$ & L1 $\\downarrow$ \\\\"  # FID: skipped for every row, left out
    assert "% FID skipped: /w/pt_inception.pth" in latex
    assert body_rows(latex) == {"alpha": ["\\underline{23.00}", "\\underline{2.00E-04}"],
                                "beta": ["\\textbf{25.00}", "\\textbf{1.00E-04}"],
                                "gamma": ["20.00", "\\textbf{1.00E-04}"]}
    assert "\\begin{tabular}{lrr}" in latex


def test_latex_caption_names_protocol_version_digest_and_fingerprint() -> None:
    latex = render_latex(document())
    caption = latex[latex.index("\\caption{"):latex.index("\\label")]
    assert "protocol animatex-paper v1.1 (digest dddddddddddd)" in caption
    assert "suite fingerprint ffffffffffffffff" in caption and "synth-mini, self setting" in caption
    assert "\\label{tab:a2bench-synth-mini-self}" in latex


def test_latex_escapes_names() -> None:
    latex = render_latex(document({"alpha": "a_b&c%d$e#f{g}~^\\"}))
    assert "a\\_b\\&c\\%d\\$e\\#f\\{g\\}\\textasciitilde{}\\textasciicircum{}\\textbackslash{}" in latex
    assert "a_b&c" not in latex


def test_latex_reference_rows_are_marked_as_reported() -> None:
    report = single_report(document(suite="a2bench", setting="rescaled"))
    attach_reference(report, reference_table("table1_a2bench_rescaled"))
    latex = render_latex(report)
    rows = body_rows(latex)
    assert rows["Animate-X$^\\dagger$"] == ["13.60", "1.02E-04", "26.11"]  # FID has reported values: kept
    assert rows["beta"] == ["\\textbf{25.00}", "\\textbf{1.00E-04}", "--"]
    body = latex[latex.index("\\midrule") + 8:latex.index("\\bottomrule")]
    assert body.count("\\midrule") == 1 and body.index("ControlNeXt") < body.index("\\midrule") < body.index("alpha")
    assert "$^\\dagger$ as reported in Table 1 of Animate-X" in latex
    assert "Moore-AnimateAnyone$^\\dagger$ & 9.86 & 1.58E-04 & 50.97" in latex


def test_latex_has_a_table_per_setting() -> None:
    report = merge_runs([Run(document(setting=s), Path(s)) for s in ("self", "rescaled")])
    latex = render_latex(report)
    assert latex.count("\\begin{table}") == 2 and "synth-mini, rescaled setting" in latex


def test_latex_compiles(tmp_path: Path) -> None:
    if shutil.which("pdflatex") is None:
        tool_missing("pdflatex is not installed (Debian: apt-get install texlive-latex-base texlive-latex-recommended;"
                     " .ci/run installs it)")
    report = single_report(document({"alpha": "a_b&c%"}, suite="a2bench", setting="rescaled"))
    attach_reference(report, reference_table("table1_a2bench_rescaled"))
    (tmp_path / "table.tex").write_text(render_latex(report), encoding="utf-8")
    (tmp_path / "paper.tex").write_text("\\documentclass{article}\n\\usepackage[utf8]{inputenc}\n"
                                        "\\usepackage{booktabs}\n\\begin{document}\n\\input{table.tex}\n"
                                        "\\end{document}\n", encoding="utf-8")
    result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "paper.tex"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / "paper.pdf").stat().st_size > 1000


def test_csv_has_every_value_at_full_precision() -> None:
    results = document()
    awkward = [37.36908115853609, 0.1 + 0.2, 1 / 3, 1.0000000000000002e-05, 123456.78901234567]
    for value, (method, key) in zip(awkward, [("alpha", "psnr"), ("beta", "psnr"), ("gamma", "psnr"),
                                              ("alpha", "l1"), ("beta", "l1")], strict=True):
        results["methods"][method]["metrics"][key].update(value=value, ci95=[value / 3, value * 7 / 3])
    text = render_csv(results)
    frame = pd.read_csv(io.StringIO(text))
    assert list(frame.columns) == ["suite", "setting", "method", "source", "metric", "label", "higher_is_better",
                                   "value", "ci95_low", "ci95_high", "n", "skipped", "uncalibrated"]
    assert len(frame) == 9
    for row in csv.DictReader(io.StringIO(text)):  # Python's own float(): the exact double back, every digit
        metric = results["methods"][row["method"]]["metrics"][row["metric"]]
        low, high = metric["ci95"] or (None, None)
        assert [float(row[k]) if row[k] else None for k in ("value", "ci95_low", "ci95_high")] == \
            [metric["value"], low, high], row
        assert row["n"] == str(metric["n"]) and row["uncalibrated"] == "False"
    assert "37.36908115853609" in text and "0.30000000000000004" in text
    fid = frame[(frame.method == "beta") & (frame.metric == "fid")].iloc[0]
    assert pd.isna(fid.value) and "a2bench weights fetch fid-inception" in fid.skipped


def test_csv_marks_the_rows_of_uncalibrated_runs() -> None:
    calibrated = document(suite="a2bench")
    random = document({"alpha": "delta", "beta": "epsilon", "gamma": "zeta"}, suite="a2bench")
    random["provenance"]["uncalibrated"] = True
    report = merge_runs([Run(calibrated, Path("a")), Run(random, Path("b"))])
    attach_reference(report, reference_table("table2_a2bench_self"))
    frame = pd.read_csv(io.StringIO(render_csv(report)))
    marked = frame.groupby("method").uncalibrated.agg(set).to_dict()
    assert all(marked[name] == {True} for name in ("delta", "epsilon", "zeta"))
    assert all(marked[name] == {False} for name in ("alpha", "beta", "gamma", "LIA"))  # the paper's rows too


def test_csv_reference_rows_and_formula_names() -> None:
    report = single_report(document({"alpha": "=HYPERLINK(1)"}, suite="a2bench", setting="self"))
    attach_reference(report, reference_table("table2_a2bench_self"))
    frame = pd.read_csv(io.StringIO(render_csv(report)))
    assert "'=HYPERLINK(1)" in set(frame.method) and "=HYPERLINK(1)" not in set(frame.method)
    lia = frame[(frame.method == "LIA") & (frame.metric == "l1")].iloc[0]
    assert lia.source == "reported" and lia.value == 9.70e-5
