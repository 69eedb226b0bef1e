"""JUnit XML of a comparison, for CI systems: a test case per metric (a failure when it regressed), one for
case coverage, and the metrics that could not be compared as skipped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from a2bench.reports.compare import Comparison, MetricResult
from a2bench.reports.table import format_value


def describe(result: MetricResult) -> str:
    """One line: values, difference with interval, tolerance and verdict."""
    delta, interval = result.difference_texts()
    direction = "higher" if result.higher_is_better else "lower"
    return (f"{result.label} ({direction} is better): baseline {format_value(result.baseline)}, candidate "
            f"{format_value(result.candidate)}, difference {delta} {interval} over {result.cases} cases; "
            f"tolerance {result.tolerance_text}: {result.verdict}")


def _properties(comparison: Comparison) -> list[tuple[str, str]]:
    """What was compared: runs, methods, protocol, the data (a suite's fingerprint, or the ground-truth files' for
    `--gt` runs), the bootstrap seed, and whether random-initialised weights were used."""
    candidate = comparison.candidate.results
    protocol = candidate["protocol"]
    suite = candidate.get("suite")
    data = (("suite", str(suite.get("fingerprint"))) if suite else
            ("ground_truth", str((candidate.get("run") or {}).get("ground_truth"))))
    return [("candidate", comparison.candidate.label), ("baseline", comparison.baseline.label),
            ("candidate_method", comparison.candidate_method), ("baseline_method", comparison.baseline_method),
            ("protocol", f"{protocol['id']} v{protocol['version']} {protocol.get('digest')}"), data,
            ("seed", str(comparison.seed)), ("uncalibrated", str(comparison.uncalibrated).lower())]


def junit_xml(comparison: Comparison) -> str:
    """The comparison as a JUnit XML document (ElementTree escapes every name and message)."""
    method = comparison.candidate_method
    cases = [*comparison.results, *comparison.not_compared]
    failures = sum(r.regressed for r in comparison.results) + bool(comparison.missing)
    root = ET.Element("testsuites")
    suite = ET.SubElement(root, "testsuite", name="a2bench compare", tests=str(len(cases) + 1),
                          failures=str(failures), errors="0", skipped=str(len(comparison.not_compared)))
    properties = ET.SubElement(suite, "properties")
    for name, value in _properties(comparison):
        ET.SubElement(properties, "property", name=name, value=value)
    for result in comparison.results:
        case = ET.SubElement(suite, "testcase", classname=f"a2bench.compare.{method}", name=result.metric)
        if result.regressed:
            ET.SubElement(case, "failure", message=f"{result.metric} regressed", type="regression").text = \
                describe(result)
        ET.SubElement(case, "system-out").text = describe(result)
    for metric, reason in comparison.not_compared:
        case = ET.SubElement(suite, "testcase", classname=f"a2bench.compare.{method}", name=metric)
        ET.SubElement(case, "skipped", message=reason)
    coverage = ET.SubElement(suite, "testcase", classname=f"a2bench.compare.{method}", name="cases")
    if comparison.missing:
        ET.SubElement(coverage, "failure", message=f"{len(comparison.missing)} baseline cases not scored",
                      type="missing-cases").text = ", ".join(comparison.missing)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def junit_error(message: str) -> str:
    """A JUnit document saying the comparison could not be made (so CI shows why, not a missing report)."""
    root = ET.Element("testsuites")
    suite = ET.SubElement(root, "testsuite", name="a2bench compare", tests="1", failures="0", errors="1")
    case = ET.SubElement(suite, "testcase", classname="a2bench.compare", name="compare")
    ET.SubElement(case, "error", message=message, type="usage")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
