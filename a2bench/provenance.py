"""Provenance recorded with every result: versions, git commit, platform, seeds, data fingerprint."""

from __future__ import annotations

import platform
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import a2bench

PACKAGES = ("numpy", "scipy", "scikit-image", "opencv-python-headless", "pillow", "torch", "torchvision",
            "lpips", "pytorch-fid", "open_clip_torch", "decord", "av")


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages that can change a number (None when absent)."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit() -> str | None:
    """The commit of the a2bench source tree when it is a git checkout (editable installs)."""
    source = Path(a2bench.__file__).resolve().parent.parent
    if not (source / ".git").exists():
        return None
    try:
        result = subprocess.run(["git", "-C", str(source), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def collect(seeds: dict[str, int], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The provenance block of a results document."""
    return {
        "a2bench": a2bench.__version__,
        "git_commit": git_commit(),
        "created_at": now(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "seeds": dict(seeds),
        **(extra or {}),
    }
