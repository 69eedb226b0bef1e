"""Fake repositories of the six external methods, made by the tests: each a few small scripts that read the
staged inputs as the real repository does, fail loudly on what it would reject, and write their output where it
does (see fakekit.py). `make_repo` puts one in place with dummy checkpoint files; `write_config` writes the
a2bench.toml that points at it."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from a2bench.generate.adapter import ADAPTERS

HERE = Path(__file__).parent
FOLDERS = {"animate-x": "animate_x", "unianimate": "unianimate", "mimicmotion": "mimicmotion",
           "moore-animateanyone": "moore_animateanyone", "controlnext-svd": "controlnext", "musepose": "musepose"}
SVD = "stable-video-diffusion-img2vid-xt-1-1"


def make_repo(method: str, root: Path, checkpoints: bool = True) -> Path:
    """A fake checkout of `method`'s repository under `root` (with every checkpoint a2bench checks, as tiny
    files, unless `checkpoints` is False)."""
    repo = root / FOLDERS[method]
    shutil.copytree(HERE / FOLDERS[method], repo)
    adapter = ADAPTERS.get(method)
    code = repo / adapter.code_folder if adapter.code_folder else repo
    shutil.copy(HERE / "fakekit.py", code / "fakekit.py")
    if checkpoints:
        folder = code / adapter.checkpoints_folder
        for path in [folder / names[0] for names in adapter.checkpoint_files] + [code / n for n in adapter.code_files]:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"fake weights")
        (folder / SVD).mkdir(parents=True, exist_ok=True)
    return repo


def method_table(method: str, repo: Path, **extra: Any) -> dict[str, Any]:
    """The [methods.NAME] table of a fake repository, run with this interpreter."""
    table: dict[str, Any] = {"repo": str(repo), "python": sys.executable}
    if method == "mimicmotion":
        table["base_model"] = str(repo / "models" / SVD)
    return {**table, **extra}


def write_config(path: Path, methods: dict[str, dict[str, Any]]) -> Path:
    """An a2bench.toml with one [methods.NAME] table each (strings, numbers and lists of strings)."""
    lines = []
    for name, table in methods.items():
        lines.append(f"[methods.{name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in table.items()]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def calls(repo: Path) -> list[dict[str, Any]]:
    """Every call a fake repository received (arguments, cwd, visible GPUs)."""
    log = repo / "calls.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
