"""Reference rows: numbers as the Animate-X paper printed them (paper_tables.json), for `report --reference`.

They are shown beside a2bench's rows, never mixed with them: marked as reported, excluded from the best and
second-best marks, and captioned with what they were computed with.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from a2bench.errors import UnknownNameError

PAPER_PROTOCOL = "animatex-paper"
METRIC_NAMES = {"psnr_star": "psnr"}  # the paper's column names where a2bench's metric is named otherwise
SUITE_NAMES = {"fashion": "ubc-fashion"}  # likewise for suites


@dataclass(frozen=True)
class ReferenceTable:
    """One table of the paper: its suite and setting, and per row the printed value of each a2bench metric."""

    id: str
    caption: str
    source: str
    suite: str
    setting: str
    rows: dict[str, dict[str, float | None]]
    metric_info: dict[str, dict[str, Any]]

    @property
    def name(self) -> str:
        """The paper's table number and the source, e.g. `Table 1 of Animate-X: … (Tan et al., …)`."""
        number = re.match(r"table(\d+)", self.id)
        return f"Table {number.group(1)} of {self.source}" if number else self.source

    def caveat(self, protocol_id: str) -> str:
        """What a reader must know before comparing these rows with a2bench's."""
        text = (f"Rows marked “as reported” are copied from {self.name}: {self.caption}. The authors computed "
                "them with their own scripts on their copy of the data; a2bench did not compute them. The "
                f"{PAPER_PROTOCOL} protocol reproduces that toolkit (the DisCo scripts, with the float PSNR*), but "
                "the paper's data, frame sampling and resolution are not published, so a gap between a reported "
                "row and a computed one is not by itself a difference between methods. L1 is lower-is-better "
                "(the paper's upward arrow is an error).")
        if protocol_id != PAPER_PROTOCOL:
            text += (f" This report uses protocol {protocol_id}, which computes several metrics differently from "
                     f"the paper's toolkit: compare reported rows with {PAPER_PROTOCOL} runs only.")
        return text


@cache
def _document() -> dict[str, Any]:
    text = resources.files("a2bench.reports").joinpath("paper_tables.json").read_text(encoding="utf-8")
    return json.loads(text)


def table_ids() -> list[str]:
    """The ids `--reference` accepts."""
    return list(_document()["tables"])


def reference_table(table_id: str) -> ReferenceTable:
    """The paper's table `table_id` in a2bench's metric and suite names (UnknownNameError listing the ids)."""
    document = _document()
    table = document["tables"].get(table_id)
    if table is None:
        raise UnknownNameError(f"unknown reference table {table_id!r}", fix=f"use one of: {', '.join(table_ids())}")
    columns = [METRIC_NAMES.get(name, name) for name in table["columns"]]
    info = {METRIC_NAMES.get(name, name): entry for name, entry in document["metrics"].items()}
    rows = {name: dict(zip(columns, values, strict=True)) for name, values in table["rows"].items()}
    return ReferenceTable(table_id, table["caption"], document["source"], SUITE_NAMES.get(table["suite"],
                          table["suite"]), table["setting"], rows, {name: info[name] for name in columns})
