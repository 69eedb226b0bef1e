"""Run the real `a2bench` entry point in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str | Path, data_root: Path | None = None, cwd: Path | None = None,
            timeout: float = 600, weights: Path | None = None, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", **(env or {})}
    if data_root is not None:
        env["A2BENCH_DATA"] = str(data_root)
    if weights is not None:
        env["A2BENCH_WEIGHTS"] = str(weights)
    return subprocess.run([sys.executable, "-m", "a2bench", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=timeout, check=False)


def assert_clean_failure(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Non-zero exit, one error line on stderr naming what is wrong, no traceback."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
