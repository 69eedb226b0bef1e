"""Put a suite's files in place: generated suites are (re)generated case by case, then verified."""

from __future__ import annotations

from collections.abc import Callable

from a2bench.data.suites import ROOT_OPTION, Suite, require_verified
from a2bench.data.synth.suite import SYNTH_CONFIGS, generate_case, write_case
from a2bench.errors import DataError
from a2bench.writable import require_writable_folder


def prepare_generated(suite: Suite, on_case: Callable[[str], None] | None = None) -> list[str]:
    """Generate the cases of a generated suite that are missing or altered; returns the ids written."""
    if suite.name not in SYNTH_CONFIGS:
        raise DataError(f"suite '{suite.name}' is not generated locally", fix="download or import it instead")
    config = SYNTH_CONFIGS[suite.name]
    broken = {problem.path.relative_to(suite.folder).parts[0] for problem in suite.verify(full=True)}
    if broken:
        require_writable_folder(suite.folder, ROOT_OPTION)
    written = []
    for index, case_id in enumerate(config.case_ids()):
        if case_id in broken:
            write_case(generate_case(config, index), suite.folder)
            written.append(case_id)
        if on_case:
            on_case(case_id)
    try:
        require_verified(suite)
    except DataError as exc:
        raise DataError(f"the generator's output does not match the manifest ({exc.message})", path=exc.path,
                        fix="report this with `a2bench --version` and your numpy/OpenCV versions") from None
    return written
