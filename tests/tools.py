"""Tests that need an external tool (a browser, a LaTeX engine) skip with the reason where it is missing, and fail
instead under $A2BENCH_REQUIRE_TOOLS (set by .ci/run, which installs them), so CI never passes by skipping."""

from __future__ import annotations

import os

import pytest


def tool_missing(reason: str) -> None:
    """Skip (or, under $A2BENCH_REQUIRE_TOOLS, fail) the calling test, saying what is missing and how to get it."""
    if os.environ.get("A2BENCH_REQUIRE_TOOLS"):
        pytest.fail(f"{reason} (required: $A2BENCH_REQUIRE_TOOLS is set)")
    pytest.skip(reason)
