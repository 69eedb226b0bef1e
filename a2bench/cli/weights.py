"""`a2bench weights list | fetch | verify | path | init-random`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from a2bench.cli.common import QuietOption, err, print_record, say
from a2bench.errors import A2BenchError
from a2bench.weights.registry import WeightSpec

weights_app = typer.Typer(help="Network weights: list, fetch, verify, locate, or write random test weights.",
                          no_args_is_help=True)

DirOption = Annotated[Path | None, typer.Option("--weights-dir", "--dir", help="Weights folder (default: "
                                                "$A2BENCH_WEIGHTS or the per-user cache).")]
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
    if not size:
        return "size not published"
    return f"{size / 2**20:,.1f} MiB" if size >= 2**20 else f"{size / 2**10:,.1f} KiB"


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
    from a2bench.weights.store import pinned, uncalibrated_files, weights_folder

    folder = weights_folder(directory)
    pins, randoms = pinned(folder), uncalibrated_files(folder)
    users = weights_users()
    print_record(f"Weights in {folder}")
    for spec in _specs(None):
        if spec.sha256:
            expected = f"published sha256 {spec.sha256[:16]}…"
        elif spec.filename in pins:
            expected = f"sha256 {pins[spec.filename]['sha256'][:16]}… pinned on first use"
        elif spec.sha256_prefix:
            expected = f"published prefix {spec.sha256_prefix}…"
        else:
            expected = "no published hash: pinned on first use"
        present = (folder / spec.filename).is_file()
        state = ("uncalibrated (random)" if spec.filename in randoms else "present") if present else "missing"
        print_record(f"{spec.name}: {state}", [f"file {spec.filename} ({_size(spec.size)}); {expected}",
                                                f"used by {', '.join(users.get(spec.name, [])) or 'no metric'}"])


@weights_app.command()
def fetch(names: NamesArgument = None, directory: DirOption = None,
          source: Annotated[str | None, typer.Option(help="Mirror: a folder or base URL holding the files "
                                                     "under their registry file names.")] = None,
          force: Annotated[bool, typer.Option(help="Fetch again even when a verified copy is present.")] = False,
          quiet: QuietOption = False) -> None:
    """Download (or copy from --source) weights into the folder, verifying each file's sha256."""
    from a2bench.weights.fetch import fetch as fetch_one
    from a2bench.weights.store import LOCK_FILE, weights_folder
    from a2bench.writable import require_writable_folder

    folder = require_writable_folder(weights_folder(directory), "--dir")
    failures = 0
    for spec in _specs(names):
        try:
            with _byte_bar(spec.name, quiet) as progress:
                outcome = fetch_one(spec, folder, source, progress, force)
        except A2BenchError as exc:
            failures += 1
            say(f"failed {spec.name}: {exc.line()}", err)
            continue
        note = f"; sha256 pinned in {folder / LOCK_FILE}" if outcome.pinned else ""
        say(f"{outcome.status} {spec.name}: {outcome.path} (sha256 {outcome.sha256}{note})")
    if failures:
        raise A2BenchError(f"{failures} weights file(s) could not be fetched", path=folder,
                           fix="see the lines above")


@weights_app.command()
def verify(names: NamesArgument = None, directory: DirOption = None, quiet: QuietOption = False) -> None:
    """Hash the named weights (default: every registered file) and check them; exits 1 when any is missing or
    fails, so name only those you need. Pins the hash of files nobody publishes one for, once they hold the network
    a2bench builds from them ("pinned on first use", said apart from "matches the published")."""
    from a2bench.weights.store import fetch_command, verify_or_pin, weights_folder

    folder = weights_folder(directory)
    specs, bad, missing = _specs(names), 0, []
    for spec in specs:
        if not (folder / spec.filename).is_file():
            missing.append(spec.name)
            say(f"missing {spec.name}: run `{fetch_command(spec.name, directory)}`")
            continue
        try:
            with _byte_bar(f"hashing {spec.name}", quiet) as progress:
                how, newly_pinned = verify_or_pin(spec, folder, progress)
        except A2BenchError as exc:
            bad += 1
            say(f"FAILED {spec.name}: {exc.line()}", err)
            continue
        say(f"{'pinned' if newly_pinned else 'ok'} {spec.name}: {how}")
    if bad or missing:
        fixes = (["fetch the failed ones again (see the lines above)"] if bad else []) + (
            [f"run `{fetch_command(missing, directory)}`"] if missing else [])
        scope = "" if names else ", or name only the weights you need"
        raise A2BenchError(f"{len(specs)} weights file(s) checked: {bad} failed verification, {len(missing)} missing",
                           path=folder, fix="; ".join(fixes) + scope)


@weights_app.command()
def path(name: Annotated[str, typer.Argument(help="Weights name.")], directory: DirOption = None) -> None:
    """Print the verified path of one weights file."""
    from a2bench.weights.store import resolve

    say(str(resolve(name, directory)))


@weights_app.command("init-random")
def init_random(directory: Annotated[Path, typer.Option("--weights-dir", "--dir", help="Folder for the random "
                                                        "weights (never $A2BENCH_WEIGHTS or the per-user cache, "
                                                        "where the real ones go).")],
                seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
                only: Annotated[str | None, typer.Option(help="Comma-separated weights names (default: all).")]
                = None,
                quiet: QuietOption = False) -> None:
    """Write random-initialised weights in the real files' formats, marked uncalibrated (for testing only)."""
    from a2bench.progress import progress_bar
    from a2bench.weights.registry import WEIGHTS
    from a2bench.weights.store import UNCALIBRATED_FILE, require_test_folder
    from a2bench.writable import require_writable_folder

    names = [n.strip() for n in only.split(",") if n.strip()] if only is not None else list(WEIGHTS)
    if not names:
        raise A2BenchError(f"--only {only!r} names no weights", fix="pass names such as --only i3d-kinetics400, or "
                           "leave the option out for all")
    _specs(names)
    require_test_folder(directory)  # these two before torch is imported and anything is built
    require_writable_folder(directory, "--dir")
    from a2bench.weights.random_init import init_random as write_random

    with progress_bar("init-random", len(names), quiet) as advance:
        written = write_random(directory, seed, names, on_file=lambda _name: advance())
    for name, file in written.items():
        say(f"{name}: {file}")
    copied = [name for name in written if WEIGHTS[name].package_file]
    if len(copied) < len(written):
        say(f"uncalibrated weights (seed {seed}) listed in {directory / UNCALIBRATED_FILE}")
    if copied:
        say(f"{', '.join(copied)}: copied as the lpips package ships them (published weights, not random)")
