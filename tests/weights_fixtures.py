"""Weights for tests: the real ones when installed (random-initialised ones: the `random_weights` fixture in
conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from a2bench.weights.store import WeightsMissing, is_uncalibrated, resolve

SEED = 7


def real_weights(*names: str) -> dict[str, Path]:
    """Verified paths of the real weights `names` in the default folder ($A2BENCH_WEIGHTS or the per-user cache);
    skips the calling test, with the reason, when any is absent or random-initialised."""
    paths = {}
    for name in names:
        try:
            paths[name] = resolve(name)
        except WeightsMissing as exc:
            pytest.skip(f"real weights '{name}' not installed ({exc.line()})")
        if is_uncalibrated(paths[name]):
            pytest.skip(f"weights '{name}' in {paths[name].parent} are random-initialised, not the real ones")
    return paths
