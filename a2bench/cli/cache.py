"""`a2bench cache info | clear`: the content-addressed feature cache."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from a2bench.cli.common import say

cache_app = typer.Typer(help="The feature cache (ground-truth features are computed once across runs).",
                        no_args_is_help=True)
CacheDirOption = Annotated[Path | None, typer.Option("--cache-dir", help="Cache folder (default: the per-user "
                                                     "cache).")]


@cache_app.command("info")
def cache_info(cache_dir: CacheDirOption = None) -> None:
    """Show where the cache is, how many feature entries it holds and their size."""
    from a2bench.metrics.cache import FeatureCache

    cache = FeatureCache(cache_dir)
    info = cache.info()
    say(f"{cache.root}: {info.entries} entries, {info.bytes / 2**20:.1f} MiB")


@cache_app.command("clear")
def cache_clear(cache_dir: CacheDirOption = None) -> None:
    """Delete every cached feature entry (they are recomputed when needed)."""
    from a2bench.metrics.cache import FeatureCache

    cache = FeatureCache(cache_dir)
    removed = cache.clear()
    say(f"{cache.root}: removed {removed.entries} entries ({removed.bytes / 2**20:.1f} MiB)")
