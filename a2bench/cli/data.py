"""`a2bench suites ...` and `a2bench data ...`: know, get, generate and verify benchmark data."""

from __future__ import annotations

from typing import Annotated

import typer

from a2bench.cli.common import QuietOption, RootOption, err, print_record, say
from a2bench.cli.derive import data_derive
from a2bench.cli.download import data_download, data_status

suites_app = typer.Typer(help="Benchmark suites known to a2bench.", no_args_is_help=True)
data_app = typer.Typer(help="Get, generate and verify benchmark data.", no_args_is_help=True)
data_app.command("derive")(data_derive)
data_app.command("download")(data_download)
data_app.command("status")(data_status)


@suites_app.command("list")
def suites_list(root: RootOption = None) -> None:
    """List the suites a2bench knows, with case counts and whether they are present."""
    from a2bench.data.suites import broken_imports, data_root, known_suites

    base = data_root(root)
    records = {name: (f"{name} {manifest.version}: {len(manifest.cases)} cases, {manifest.sources[0].kind}, "
                      f"{'present' if (base / name).is_dir() else 'not present'}", [manifest.description])
               for name, manifest in known_suites(base).items()}
    records.update({name: (f"{name}: broken import", [error.line()]) for name, error in broken_imports(base).items()})
    print_record(f"Suites (data root {base})")
    for title, details in (records[name] for name in sorted(records)):
        print_record(title, details)


@data_app.command("verify")
def data_verify(suite: Annotated[str, typer.Argument(help="Suite id, e.g. synth-mini.")],
                full: Annotated[bool, typer.Option("--full/--fast", help="Check hashes (full) or only presence "
                                                   "and sizes (fast).")] = True,
                root: RootOption = None, quiet: QuietOption = False) -> None:
    """Check a suite's files against its manifest; names every missing or altered file."""
    from a2bench.data.status import record_verification
    from a2bench.data.suites import open_suite, require_present, restore_hint
    from a2bench.progress import progress_bar

    opened = open_suite(suite, root)
    require_present(opened)
    with progress_bar(f"Verifying {suite}", opened.file_count(), quiet) as advance:
        problems = opened.verify(full=full, on_file=advance)
    record_verification(opened, full=full, problems=len(problems))
    for problem in problems:
        say(problem.line(), err)
    if problems:
        say(f"{suite}: {len(problems)} problem(s); {restore_hint(opened.manifest)}", err)
        raise typer.Exit(1)
    if full:
        checked = f"all {opened.file_count()} files verified: each one's sha256 matches the manifest"
    else:
        checked = (f"all {opened.file_count()} files present with the manifest's sizes (fast check: contents were not "
                   f"hashed; `a2bench data verify {suite}` checks them)")
    say(f"{suite}: {checked}; manifest fingerprint {opened.manifest.fingerprint()}")
