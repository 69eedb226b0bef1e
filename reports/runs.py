"""Run directories as reports read them, and several runs merged into one report: a section per setting.

Runs merge only when they measured the same thing: the same protocol (id, version, digest), the same data
(suite id and fingerprint, or the same ground-truth files for folder runs) and the same weights for the
networks both used. Runs of one setting merge into one table (a method may appear once per setting; the runs of a
derived setting must share its derivation and seed); runs of different settings (self, rescaled, robustness
tracks) become sections of one page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from a2bench.errors import A2BenchError
from a2bench.reports.reference import ReferenceTable


class RunsDisagree(A2BenchError):
    """Runs that cannot share a table or a page: they measured different things."""


@dataclass(frozen=True)
class Run:
    """One run directory's results document (`path` None for a document given directly)."""

    results: dict[str, Any]
    path: Path | None = None

    @property
    def label(self) -> str:
        return str(self.path) if self.path is not None else "results"

    @property
    def setting(self) -> str:
        return setting_identity(self.results)["setting"]

    @property
    def uncalibrated(self) -> bool:
        """Learned metrics of this run used random-initialised weights (its numbers test the pipeline only)."""
        return bool((self.results.get("provenance") or {}).get("uncalibrated"))


def load_run(path: Path) -> Run:
    """The results of a run directory: exported from its store (as scored), else read from its results.json."""
    from a2bench.evaluation import export_results
    from a2bench.results import RESULTS_FILE, load_results
    from a2bench.store import STORE_FILE

    if not path.is_dir():
        what = "is not a folder" if path.exists() else "does not exist"
        raise A2BenchError(f"run directory {what}", path=path, fix="pass the --out folder of an a2bench run")
    results = export_results(path) if (path / STORE_FILE).exists() else load_results(path / RESULTS_FILE)
    return Run(results, path)


def data_identity(results: Mapping[str, Any]) -> dict[str, Any]:
    """What the numbers of a run were measured on and how, setting excluded: protocol and data."""
    protocol = results["protocol"]
    suite = results.get("suite") or {}
    run = results.get("run") or {}
    return {"protocol": f"{protocol['id']} v{protocol['version']}", "protocol digest": protocol.get("digest"),
            "suite": suite.get("id"), "suite fingerprint": suite.get("fingerprint"),
            "ground-truth files": run.get("ground_truth")}


def setting_identity(results: Mapping[str, Any]) -> dict[str, Any]:
    """Which setting of the suite a run measured: its name and, for a derived setting, the derivation and its seed
    (the derived cases are a function of both, so they belong to the setting; `self` has neither)."""
    suite = results.get("suite") or {}
    return {"setting": str(suite.get("setting") or "self"), "derivation": suite.get("derivation"),
            "derivation seed": suite.get("derivation_seed")}


def _short(value: Any) -> str:
    text = str(value)
    return text[:12] + "…" if len(text) == 64 else text


def differences(first: Run, second: Run, compare_setting: bool = True) -> list[str]:
    """What differs between two runs' protocol, data (and setting), and weights used by both, in words."""
    found = []
    for identity in (data_identity, *([setting_identity] if compare_setting else [])):
        a, b = identity(first.results), identity(second.results)
        found += [f"{key}: {_short(a[key])} vs {_short(b[key])}" for key in a if a[key] != b[key]]
    weights_a = (first.results.get("run") or {}).get("weights") or {}
    weights_b = (second.results.get("run") or {}).get("weights") or {}
    found += [f"weights {name}: {_short(weights_a[name])} vs {_short(weights_b[name])}"
              for name in sorted(set(weights_a) & set(weights_b)) if weights_a[name] != weights_b[name]]
    return found


@dataclass
class Section:
    """The runs of one setting merged: every method once, metrics and cases in first-seen order."""

    setting: str
    runs: list[Run] = field(default_factory=list)
    metric_info: dict[str, dict[str, Any]] = field(default_factory=dict)
    methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    method_runs: dict[str, Run] = field(default_factory=dict)
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    reference: ReferenceTable | None = None

    def add(self, run: Run) -> None:
        """Merge a run of this setting (RunsDisagree when it was derived otherwise or repeats a method)."""
        found = differences(self.runs[0], run) if self.runs else []
        if found:
            raise RunsDisagree(f"runs {self.runs[0].label} and {run.label} of setting {self.setting} differ "
                               f"({'; '.join(found)}); one setting's table takes runs of one derivation",
                               fix="pass runs derived with the same --derive-seed, or report them separately")
        for name, entry in run.results["methods"].items():
            if name in self.methods:
                raise RunsDisagree(f"method {name!r} of setting {self.setting} is in two runs: "
                                   f"{self.method_runs[name].label} and {run.label}",
                                   fix="pass one run per method and setting")
            self.methods[name] = entry
            self.method_runs[name] = run
        for name, info in (run.results.get("metric_info") or {}).items():
            self.metric_info.setdefault(name, info)
        for case_id, info in (run.results.get("cases") or {}).items():
            self.cases.setdefault(case_id, info)
        self.runs.append(run)

    def metric_names(self) -> list[str]:
        """Metrics in declaration order (those only methods' entries name, for documents without metric_info)."""
        named = [m for entry in self.methods.values() for m in entry.get("metrics", {})]
        return list(dict.fromkeys([*self.metric_info, *named]))

    def case_ids(self) -> list[str]:
        """Every case of the setting: the run's cases and any case a method scored, sorted."""
        scored = {case for entry in self.methods.values() for case in entry.get("per_case", {})}
        return sorted(set(self.cases) | scored)

    def missing_cases(self, method: str) -> list[str]:
        """Cases of the setting the method has no score for (failed or not generated)."""
        scored = self.methods[method].get("per_case", {})
        return [case for case in self.case_ids() if case not in scored]


@dataclass
class Report:
    """Runs on one protocol and one suite: a section per setting."""

    runs: list[Run]
    sections: list[Section]

    @property
    def first(self) -> dict[str, Any]:
        return self.runs[0].results

    @property
    def protocol(self) -> dict[str, Any]:
        return self.first["protocol"]

    @property
    def suite(self) -> dict[str, Any] | None:
        return self.first.get("suite")

    @property
    def uncalibrated(self) -> bool:
        return any(run.uncalibrated for run in self.runs)

    @property
    def title(self) -> str:
        suite = self.suite or {}
        return f"{suite.get('id', 'custom videos')} — protocol {self.protocol['id']} v{self.protocol['version']}"


def merge_runs(runs: Sequence[Run]) -> Report:
    """One report of runs that measured the same thing (RunsDisagree naming what differs otherwise)."""
    if not runs:
        raise A2BenchError("no run to report", fix="pass at least one run directory")
    for run in runs[1:]:
        found = differences(runs[0], run, compare_setting=False)
        if found:
            raise RunsDisagree(f"runs {runs[0].label} and {run.label} differ ({'; '.join(found)}); they cannot share "
                               "a report", fix="report them separately, or pass runs of one protocol and suite")
    sections: dict[str, Section] = {}
    for run in runs:
        sections.setdefault(run.setting, Section(run.setting)).add(run)
    return Report(list(runs), _ordered(sections.values()))


def attach_reference(report: Report, table: ReferenceTable) -> Section:
    """Put the paper's table beside the section of its suite and setting; A2BenchError when the runs have none."""
    suite = (report.suite or {}).get("id")
    for section in report.sections:
        if suite == table.suite and section.setting == table.setting:
            section.reference = table
            return section
    have = ", ".join(section.setting for section in report.sections)
    raise A2BenchError(f"reference table {table.id} is for suite {table.suite}, setting {table.setting}; these runs "
                       f"are on {suite or 'custom videos'} ({have})",
                       fix="pass a reference table of the runs' suite and setting, or leave --reference out")


def _ordered(sections: Iterable[Section]) -> list[Section]:
    """`self` first, then `rescaled`, then the other settings in the order they were given."""
    rank = {"self": 0, "rescaled": 1}
    return sorted(sections, key=lambda s: rank.get(s.setting.split(":")[0], 2))


def single_report(results: dict[str, Any], path: Path | None = None) -> Report:
    """The report of one results document."""
    return merge_runs([Run(results, path)])
