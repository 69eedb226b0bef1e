"""`a2bench weights list | fetch | verify | path | init-random`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from a2bench.cli.common import QuietOption, err, out
from a2bench.errors import A2BenchError
from a2bench.weights.registry import WeightSpec

weights_app = typer.Typer(help="Network weights: list, fetch, verify, locate, or write random test weights.",
                          no_args_is_help=True)

DirOption = Annotated[Path | None, typer.Option("--dir", help="Weights folder (default: $A2BENCH_WEIGHTS or the "
                                                "per-user cache).")]
NamesArgument = Annotated[list[str] | None, typer.Argument(help="Weights names (default: all; see `a2bench "
                                                           "weights list`).", show_default=False)]


def _specs(names: list[str] | None) -> list[WeightSpec]:
    from a2bench.weights.registry import WEIGHTS, get_spec

    return [get_spec(name) for name in names] if names else list(WEIGHTS.values())


def weights_users() -> dict[str, list[str]]:
    """Which metric of which protocol uses each weights file, from the protocol declarations."""
    from a2bench.metrics import PROTOCOLS

    users: dict[str, list[str]] = {}
    for protocol in PROTOCOLS.values():
        for name in protocol.metric_names():
            for weights in protocol.get_metric(name).weights_names():
                users.setdefault(weights, []).append(f"{name} ({protocol.id})")
    return users


def _size(size: int | None) -> str:
    return f"{size / 2**20:,.1f} MiB" if size else "?"


@contextmanager
def _byte_bar(description: str, quiet: bool) -> Iterator[Callable[[int, int | None], None]]:
    """Yield a progress callback (bytes done, total) that draws a transfer bar on stderr when enabled."""
    from a2bench.progress import progress_enabled

    if not progress_enabled(quiet):
        yield lambda _done, _total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(description, total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


@weights_app.command("list")
def list_weights(directory: DirOption = None) -> None:
    """List every weights file, its source, expected hash and whether it is in the folder (not hashed here)."""
    from rich.table import Table

    from a2bench.weights.store import pinned, uncalibrated_files, weights_folder

    folder = weights_folder(directory)
    pins, randoms = pinned(folder), uncalibrated_files(folder)
    users = weights_users()
    table = Table("Name", "File", "Size", "sha256", "In folder", "Used by", title=f"Weights in {folder}")
    for spec in _specs(None):
        if spec.sha256:
            expected = f"{spec.sha256[:16]}… (published)"
        elif spec.filename in pins:
            expected = f"{pins[spec.filename]['sha256'][:16]}… (pinned)"
        elif spec.sha256_prefix:
            expected = f"{spec.sha256_prefix}… (prefix)"
        else:
            expected = "pinned at first fetch"
        present = (folder / spec.filename).is_file()
        state = ("uncalibrated (random)" if spec.filename in randoms else "present") if present else "missing"
        table.add_row(spec.name, spec.filename, _size(spec.size), expected, state, ", ".join(users.get(spec.name, [])))
    out.print(table)


@weights_app.command()
def fetch(names: NamesArgument = None, directory: DirOption = None,
          source: Annotated[str | None, typer.Option(help="Mirror: a folder or base URL holding the files "
                                                     "under their registry file names.")] = None,
          force: Annotated[bool, typer.Option(help="Fetch again even when a verified copy is present.")] = False,
          quiet: QuietOption = False) -> None:
    """Download (or copy from --source) weights into the folder, verifying each file's sha256."""
    from a2bench.weights.fetch import fetch as fetch_one
    from a2bench.weights.store import LOCK_FILE, weights_folder

    folder = weights_folder(directory)
    failures = 0
    for spec in _specs(names):
        try:
            with _byte_bar(spec.name, quiet) as progress:
                outcome = fetch_one(spec, folder, source, progress, force)
        except A2BenchError as exc:
            failures += 1
            err.print(f"failed {spec.name}: {exc.line()}", markup=False, highlight=False, soft_wrap=True)
            continue
        note = f"; sha256 pinned in {folder / LOCK_FILE}" if outcome.pinned else ""
        out.print(f"{outcome.status} {spec.name}: {outcome.path} (sha256 {outcome.sha256}{note})",
                  markup=False, highlight=False, soft_wrap=True)
    if failures:
        raise A2BenchError(f"{failures} weights file(s) could not be fetched", path=folder,
                           fix="see the lines above")


@weights_app.command()
def verify(names: NamesArgument = None, directory: DirOption = None, quiet: QuietOption = False) -> None:
    """Hash the weights in the folder and check them; pins the hash of files nobody publishes one for."""
    from a2bench.weights.store import fetch_command, verify_or_pin, weights_folder

    folder = weights_folder(directory)
    bad = 0
    for spec in _specs(names):
        if not (folder / spec.filename).is_file():
            if names:
                bad += 1
            out.print(f"missing {spec.name}: run `{fetch_command(spec.name, directory)}`", markup=False,
                      highlight=False, soft_wrap=True)
            continue
        try:
            with _byte_bar(f"hashing {spec.name}", quiet) as progress:
                how, _ = verify_or_pin(spec, folder, progress)
        except A2BenchError as exc:
            bad += 1
            err.print(f"MISMATCH {spec.name}: {exc.line()}", markup=False, highlight=False, soft_wrap=True)
            continue
        out.print(f"ok {spec.name}: {how}", markup=False, highlight=False)
    if bad:
        raise A2BenchError(f"{bad} weights file(s) failed verification or are missing", path=folder,
                           fix="fetch them again")


@weights_app.command()
def path(name: Annotated[str, typer.Argument(help="Weights name.")], directory: DirOption = None) -> None:
    """Print the verified path of one weights file."""
    from a2bench.weights.store import resolve

    out.print(str(resolve(name, directory)), markup=False, highlight=False, soft_wrap=True)


@weights_app.command("init-random")
def init_random(directory: Annotated[Path, typer.Option("--dir", help="Folder for the random weights (never "
                                                        "your real weights folder).")],
                seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
                only: Annotated[str | None, typer.Option(help="Comma-separated weights names (default: all).")]
                = None,
                quiet: QuietOption = False) -> None:
    """Write random-initialised weights in the real files' formats, marked uncalibrated (for testing only)."""
    from a2bench.progress import progress_bar
    from a2bench.weights.random_init import init_random as write_random
    from a2bench.weights.registry import WEIGHTS
    from a2bench.weights.store import UNCALIBRATED_FILE

    names = [n.strip() for n in only.split(",") if n.strip()] if only else list(WEIGHTS)
    with progress_bar("init-random", len(names), quiet) as advance:
        written = write_random(directory, seed, names, on_file=lambda _name: advance())
    for name, file in written.items():
        out.print(f"{name}: {file}", markup=False, highlight=False, soft_wrap=True)
    out.print(f"uncalibrated weights (seed {seed}) listed in {directory / UNCALIBRATED_FILE}", markup=False,
              highlight=False, soft_wrap=True)
