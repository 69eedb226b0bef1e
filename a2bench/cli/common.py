"""Options and consoles shared by the CLI modules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

out = Console()
err = Console(stderr=True)

RootOption = Annotated[Path | None, typer.Option("--root", help="Data root (default: $A2BENCH_DATA or the "
                                                 "per-user data directory).")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
