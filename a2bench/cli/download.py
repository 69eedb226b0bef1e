"""`a2bench data download` and `a2bench data status`: put suites in place, verified, and show where they stand."""

from __future__ import annotations

from typing import Annotated

import typer

from a2bench.cli.common import QuietOption, RootOption, err, name_table, out, print_record, say

SOURCE_HELP = ("Local mirror: a folder holding the suite's files, a .tar.gz/.zip of it, or a base URL (file URL = "
               "URL/<path in the manifest>). Default: the manifest's source.")


def data_download(suite: Annotated[str, typer.Argument(help="Suite id, e.g. synth-mini.")],
                  root: RootOption = None,
                  source: Annotated[str | None, typer.Option("--source", help=SOURCE_HELP)] = None,
                  jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Files fetched in parallel.")] = 4,
                  quiet: QuietOption = False) -> None:
    """Put a suite's files in place, each verified against its pinned sha256 (generated suites: generate them)."""
    from a2bench.data.download import DownloadOptions, download_suite
    from a2bench.data.prepare import prepare_generated
    from a2bench.data.status import record_verification
    from a2bench.data.suites import open_suite
    from a2bench.errors import DataError
    from a2bench.progress import progress_bar

    opened = open_suite(suite, root)
    if opened.manifest.generated:
        if source is not None:
            raise DataError(f"suite '{suite}' is generated locally; --source does not apply",
                            fix=f"run `a2bench data download {suite}` without --source")
        with progress_bar(f"Preparing {suite}", len(opened.manifest.cases), quiet) as advance:
            written = prepare_generated(opened, on_case=advance)
        record_verification(opened, full=True, problems=0)
        say(f"{suite}: {len(written)} case(s) generated, all verified in {opened.folder}")
        return
    with progress_bar(f"Downloading {suite}", opened.file_count(), quiet) as advance:
        report = download_suite(opened, source, DownloadOptions(jobs=jobs), on_file=advance)
    if not report.ok:
        for problem in report.problems:
            say(problem.line(), err)
        raise DataError(f"{len(report.problems)} of {opened.file_count()} file(s) not in place", path=opened.folder,
                        fix=f"fix the problems above and rerun `a2bench data download {suite}`; finished files are "
                            "kept and partial ones resumed")
    record_verification(opened, full=True, problems=0)
    say(f"{suite}: {len(report.fetched)} file(s) downloaded, {len(report.kept)} already in place, all "
        f"verified in {opened.folder}; fingerprint {opened.manifest.fingerprint()}")


def data_status(root: RootOption = None) -> None:
    """Show every known suite: whether it is present under the data root and its last recorded verification."""
    from datetime import datetime

    from a2bench.data.status import suite_statuses
    from a2bench.data.suites import data_root

    statuses = suite_statuses(root)
    table = name_table("Suite", "Source", "Present", "Last verified (UTC)", "Result",
                       title=f"Suites in {data_root(root)}")
    for status in statuses:
        last = status.last
        when = f"{datetime.fromisoformat(last.checked_at):%Y-%m-%d %H:%M} ({last.mode})" if last else "never"
        result = "-" if last is None else "ok" if last.ok else f"{last.problems} problem(s)"
        if status.stale:
            result += ", manifest changed since"
        if status.broken:
            result = "broken (see below)"
        table.add_row(status.name, status.source, "yes" if status.present else "no", when, result)
    out.print(table, markup=False, highlight=False)
    for status in statuses:
        if status.broken:
            print_record(f"{status.name}: broken import", [status.broken])
