"""Progress bars on long steps: rich on a terminal, silent when piped or with --quiet."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def progress_enabled(quiet: bool) -> bool:
    """Show bars only on an interactive terminal and when not asked to be quiet."""
    return not quiet and sys.stderr.isatty()


@contextmanager
def progress_bar(description: str, total: int | None, quiet: bool = False) -> Iterator[Callable[..., None]]:
    """Yield `advance()`; draws a bar on stderr when progress is enabled, does nothing otherwise."""
    if not progress_enabled(quiet):
        yield lambda *_args, **_kwargs: None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        task = progress.add_task(description, total=total)
        yield lambda *_args, **_kwargs: progress.advance(task)
