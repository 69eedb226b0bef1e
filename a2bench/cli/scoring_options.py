"""The scoring options shared by `evaluate`, `run` and `demo`, and their translation to ScoringOptions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from a2bench.errors import A2BenchError

ProtocolOption = Annotated[str, typer.Option("--protocol", help="Protocol id (see `a2bench metrics list`).")]
MetricsOption = Annotated[str | None, typer.Option(
    "--metrics", help="Comma-separated metrics (default: psnr,ssim,l1; see `a2bench metrics list`).")]
WeightsDirOption = Annotated[Path | None, typer.Option(
    "--weights-dir", help="Weights folder (default: $A2BENCH_WEIGHTS or the per-user cache).")]
DeviceOption = Annotated[str, typer.Option("--device", help="auto, cpu, cuda or cuda:N.")]
BatchOption = Annotated[int, typer.Option(
    "--batch-size", min=1, help="With --fast: frames or clips per network batch. Exact mode ignores it and uses a "
    "fixed batch shape per device type (recorded in the run's execution tags).")]
WorkersOption = Annotated[int | None, typer.Option(
    "--workers", min=0, help="Host worker processes decoding, hashing and preprocessing ahead of the networks "
    "(default: one per core but one, at most 16; 0: all in this process). Results do not depend on it.")]
FastOption = Annotated[bool, typer.Option("--fast", help="Allow TF32/cuDNN autotuning (recorded; not exact).")]
SeedOption = Annotated[int, typer.Option("--seed", help="Bootstrap seed.")]
ResamplesOption = Annotated[int, typer.Option(
    "--bootstrap-resamples", min=0, help="Resamples for the intervals of FID, FID-VID and FVD (0: none).")]
CacheDirOption = Annotated[Path | None, typer.Option(
    "--cache-dir", help="Feature cache folder (default: the per-user cache).")]
CacheOption = Annotated[bool, typer.Option("--cache/--no-cache", help="Reuse and store features in the cache.")]


def parse_metrics(text: str | None) -> list[str] | None:
    """`--metrics` as a list (None: the protocol's defaults); an option with no name in it is an error."""
    if text is None:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise A2BenchError(f"--metrics {text!r} names no metric", fix="pass names such as --metrics psnr,ssim,l1, "
                           "or leave the option out for the protocol's defaults")
    return names
