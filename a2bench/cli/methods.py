"""`a2bench methods list`: every registered method, what it consumes and produces, and whether it is ready."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from a2bench.cli.common import out

if TYPE_CHECKING:
    from a2bench.generate.adapter import Readiness

methods_app = typer.Typer(help="Methods (adapters) that generate videos.", no_args_is_help=True)


def status(readiness: Readiness) -> str:
    """Configured, repository found, checkpoints present — as far as each was checked."""
    checks = [(readiness.configured, "configured", "not configured"),
              (readiness.repository, "repository found", "repository not found"),
              (readiness.checkpoints, "checkpoints present", "checkpoints missing")]
    words = [yes if value else no for value, yes, no in checks if value is not None]
    return ", ".join(words) if words else "in-process"


@methods_app.command("list")
def methods_list(config: Annotated[Path | None, typer.Option(
        "--config", help="Method configuration (default: $A2BENCH_CONFIG, ./a2bench.toml, or the per-user "
        "a2bench.toml).")] = None) -> None:
    """List the registered methods: inputs, native output, and whether each is ready (configured, repository
    found, checkpoints present) with what is missing."""
    from rich.table import Table

    from a2bench.generate.adapter import ADAPTERS, get_adapter
    from a2bench.generate.config import find_config, load_config

    path = find_config(config)
    configs = load_config(path)
    out.print(f"configuration: {path if path else 'none (no a2bench.toml found)'}", markup=False, highlight=False,
              soft_wrap=True)
    table = Table("Method", "Ready", "Status", "Inputs", "Native output", "Description")
    missing = []
    for name, adapter_class in ADAPTERS.items():
        adapter = get_adapter(name, configs.get(name))
        readiness = adapter.readiness()
        gpu = " (GPU)" if adapter_class.needs_gpu else ""
        table.add_row(name, ("yes" if readiness.ready else "no") + gpu, status(readiness),
                      ", ".join(sorted(item.value for item in adapter_class.consumes)),
                      adapter_class.native.describe(), adapter_class.description)
        missing += [f"{name}: {line}" for line in readiness.missing]
    out.print(table)
    for name in sorted(set(configs) - set(ADAPTERS.names())):
        missing.append(f"{configs[name].where()} names no registered method (a typo?)")
    for line in missing:
        out.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
