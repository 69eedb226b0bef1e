"""`a2bench metrics list` and `a2bench methods list`."""

from __future__ import annotations

from typing import Annotated

import typer

from a2bench.cli.common import out

metrics_app = typer.Typer(help="Metrics and protocols.", no_args_is_help=True)
methods_app = typer.Typer(help="Methods (adapters) that generate videos.", no_args_is_help=True)


@metrics_app.command("list")
def metrics_list(protocol: Annotated[str, typer.Option(help="Protocol id.")] = "animatex-paper") -> None:
    """List the metrics a protocol defines."""
    from rich.table import Table

    from a2bench.metrics import get_metric, get_protocol, metric_names

    chosen = get_protocol(protocol)
    table = Table("Metric", "Label", "Better", "Definition", title=f"{chosen.id} v{chosen.version}")
    for name in metric_names(chosen.id):
        metric = get_metric(chosen.id, name)
        table.add_row(name, metric.label, "higher" if metric.higher_is_better else "lower", metric.description)
    out.print(table)


@methods_app.command("list")
def methods_list() -> None:
    """List the registered methods."""
    from a2bench.generate.adapter import adapter_names, get_adapter

    for name in adapter_names():
        out.print(f"{name}: {get_adapter(name).description}")
