"""Item 7: docs/errors.md, the matrix of bad inputs, and tests/faults stay one-to-one: every row names the test that
reproduces it, and every fault test has a row."""

from __future__ import annotations

import ast
import re
from pathlib import Path

FAULTS = Path(__file__).resolve().parent
MATRIX = FAULTS.parent.parent / "docs" / "errors.md"
REFERENCE = re.compile(r"`(test_\w+\.py)::(test_\w+)`")


def _fault_tests() -> set[tuple[str, str]]:
    found = set()
    for file in sorted(FAULTS.glob("test_*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        found |= {(file.name, node.name) for node in tree.body
                  if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}
    return found


def test_every_matrix_row_names_an_existing_fault_test_and_every_fault_test_has_a_row() -> None:
    rows = [line for line in MATRIX.read_text(encoding="utf-8").splitlines()
            if line.startswith("|") and not set(line) <= set("|- ") and not line.startswith("| Input or fault |")]
    referenced = [ref for row in rows for ref in REFERENCE.findall(row)]
    assert referenced, "docs/errors.md names no test"
    assert all(REFERENCE.search(row) for row in rows), [row for row in rows if not REFERENCE.search(row)]
    tests = _fault_tests()
    assert set(referenced) <= tests, set(referenced) - tests
    assert tests - {("test_errors_matrix.py", "test_every_matrix_row_names_an_existing_fault_test_and_every_fault_test"
                                              "_has_a_row")} <= set(referenced), tests - set(referenced)
