"""`a2bench metrics list`."""

from __future__ import annotations

from typing import Annotated

import typer

from a2bench.cli.common import out

metrics_app = typer.Typer(help="Metrics and protocols.", no_args_is_help=True)


@metrics_app.command("list")
def metrics_list(protocol: Annotated[str | None, typer.Option(help="Protocol id (default: every protocol).")] = None
                 ) -> None:
    """Print what a protocol computes: version, digest, alignment, and each metric's definition and reduction."""
    from rich.table import Table

    from a2bench.metrics import get_protocol, protocol_names

    for name in [protocol] if protocol else protocol_names():
        chosen = get_protocol(name)
        out.print(f"[bold]{chosen.id}[/] v{chosen.version} — {chosen.description}", highlight=False)
        out.print(f"digest {chosen.digest()}", markup=False, highlight=False)
        out.print(f"alignment: {chosen.alignment.describe()}", markup=False, highlight=False)
        out.print(f"default metrics: {', '.join(chosen.defaults)}", markup=False, highlight=False)
        table = Table("Metric", "Label", "Better", "Definition", "Reduction")
        for row in chosen.describe():
            table.add_row(*row)
        out.print(table)
