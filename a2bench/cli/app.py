"""The root `a2bench` command: demo, evaluate, report, and the sub-command groups."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from a2bench import __version__
from a2bench.cli.cache import cache_app
from a2bench.cli.common import QuietOption, RootOption, err, out, say, show_report
from a2bench.cli.data import data_app, suites_app
from a2bench.cli.evaluate import evaluate
from a2bench.cli.generate import generate
from a2bench.cli.importing import data_import
from a2bench.cli.listing import metrics_app
from a2bench.cli.merge import merge
from a2bench.cli.methods import methods_app
from a2bench.cli.report import compare, report
from a2bench.cli.run import run
from a2bench.cli.weights import weights_app
from a2bench.errors import A2BenchError

app = typer.Typer(help="Reproducible evaluation of character image animation.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False, rich_markup_mode=None)
data_app.command("import")(data_import)
app.add_typer(data_app, name="data")
app.add_typer(suites_app, name="suites")
app.add_typer(metrics_app, name="metrics")
app.add_typer(methods_app, name="methods")
app.add_typer(weights_app, name="weights")
app.add_typer(cache_app, name="cache")


def _version(value: bool) -> None:
    if value:
        out.print(f"a2bench {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    """Reproducible evaluation of character image animation."""


@app.command()
def demo(out_dir: Annotated[Path, typer.Option("--out", help="Run directory for videos, database and "
                                               "reports.")] = Path("a2bench-demo"),
         root: RootOption = None, quiet: QuietOption = False) -> None:
    """Generate synth-mini, run the CPU baselines, score them and write an HTML leaderboard."""
    from a2bench.demo import run_demo

    outcome = run_demo(out_dir, root, quiet)
    show_report(outcome.results)
    say(f"HTML leaderboard: {outcome.html_path.resolve()}")
    say(f"Results: {outcome.results_path.resolve()}")


app.command()(evaluate)
app.command()(generate)
app.command()(run)
app.command()(merge)
app.command()(report)
app.command()(compare)


INTERRUPTED = ("interrupted: everything completed so far is saved (scored cases, generated videos, cached "
               "features); run the same command again to resume")
INTERRUPTED_STATUS = 130


def main() -> None:
    """Console entry point: user errors become one line on stderr and exit status 1; Ctrl-C says what is kept.

    Usage errors are recognised by what they offer (`show()` and `exit_code`), because typer ≥ 0.2x raises its
    vendored click's classes, not click's; that typer also turns Ctrl-C into a returned status 130.
    """
    try:
        status = app(standalone_mode=False)
    except A2BenchError as exc:
        err.print(f"error: {exc.line()}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
    except (KeyboardInterrupt, typer.Abort):
        status = INTERRUPTED_STATUS
    except typer.Exit as exc:
        status = exc.exit_code
    except Exception as exc:
        if not (callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int)):
            raise
        exc.show()  # type: ignore[attr-defined]
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    if status == INTERRUPTED_STATUS:
        err.print(INTERRUPTED, markup=False, highlight=False, soft_wrap=True)
    if isinstance(status, int) and status:
        sys.exit(status)
