"""`a2bench merge`: combine run directories (e.g. the shards of a SLURM array) into one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from a2bench.cli.common import out


def merge(runs: Annotated[list[Path], typer.Argument(help="Run directories to combine (from generate or run, "
                                                     "e.g. one per --shard).")],
          out_dir: Annotated[Path, typer.Option("--out", help="The merged run directory (may be one of RUNS).")]
          ) -> None:
    """Combine runs of one suite, setting and protocol: jobs, videos and per-case scores."""
    from a2bench.merge import merge_runs

    summary = merge_runs(runs, out_dir)
    out.print(f"merged {summary.jobs} jobs ({summary.videos} videos) and {summary.scored} scored run(s) into "
              f"{out_dir.resolve()}", markup=False, highlight=False, soft_wrap=True)
    out.print("next: `a2bench run` with the runs' options and --out pointing there scores the set metrics (FID, "
              "FID-VID, FVD) over all cases and writes the reports; finished jobs are not generated again",
              markup=False, highlight=False, soft_wrap=True)
