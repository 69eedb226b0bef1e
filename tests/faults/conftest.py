"""Fixtures for fault tests: read-only folders (also as root), tiny videos to score, a private copy of synth-mini."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from a2bench.data.suites import Suite
from a2bench.video.io import write_video

ReadOnly = Callable[[Path], Path]


@pytest.fixture
def read_only() -> Iterator[ReadOnly]:
    """Make folders read-only for one test: chmod when not root, `chattr +i` as root (root ignores modes); skips
    with the reason when neither makes the folder unwritable here. Restored in teardown."""
    as_root = os.geteuid() == 0
    locked: list[Path] = []

    def lock(folder: Path) -> Path:
        if as_root:
            try:
                result = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True, check=False)
            except FileNotFoundError:
                pytest.skip("running as root, and chattr (to make a folder immutable) is not installed")
            if result.returncode != 0:
                pytest.skip(f"running as root, and chattr +i failed here: {result.stderr.strip()}")
        else:
            folder.chmod(0o555)
        locked.append(folder)
        try:
            (folder / ".write-probe").touch()
        except OSError:
            return folder
        (folder / ".write-probe").unlink()
        pytest.skip(f"{folder} is still writable after {'chattr +i' if as_root else 'chmod 555'}")

    yield lock
    for folder in reversed(locked):
        if as_root:
            subprocess.run(["chattr", "-i", str(folder)], check=False)
        else:
            folder.chmod(0o755)


def frames(seed: int, t: int = 3, h: int = 24, w: int = 32) -> np.ndarray:
    """A small blocky random video (T, H, W, 3)."""
    rng = np.random.default_rng(seed)
    return np.repeat(np.repeat(rng.integers(0, 256, (t, h // 8, w // 8, 3), dtype=np.uint8), 8, 1), 8, 2)


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """(pred, gt): two cases of tiny frame-folder videos, predictions a little off their ground truth."""
    pred, gt = tmp_path / "pred", tmp_path / "gt"
    for index, name in enumerate(("clip_a", "clip_b")):
        video = frames(index)
        write_video(gt / name, video)
        write_video(pred / name, np.clip(video.astype(int) + 3, 0, 255).astype(np.uint8))
    return pred, gt


@pytest.fixture
def suite_copy(synth_mini: Suite, tmp_path: Path) -> Path:
    """A data root holding a private copy of synth-mini, safe to alter; returns the root."""
    root = tmp_path / "data"
    shutil.copytree(synth_mini.folder, root / synth_mini.name)
    return root
