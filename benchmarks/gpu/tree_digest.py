"""sha256 of the source files that go into a2bench's wheel: pyproject.toml and every file under the folders its
package mapping names (`[tool.setuptools] packages` and `package-dir`), caches left out.

benchmarks/gpu/prepare.sh writes it next to the wheel it builds (.whl/a2bench-tree.sha256); gpu_check.py computes
it again over the tree carried to the GPU machine, so a wheel built from older code than the tree is reported
(`wheel_matches_tree`). Usage: python benchmarks/gpu/tree_digest.py [ROOT] (prints the digest).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
LEFT_OUT = {"__pycache__", ".pytest_cache", ".ruff_cache"}


def wheel_folders(root: Path = ROOT) -> list[Path]:
    """The folders the wheel's packages come from: package-dir's targets, and each listed top-level package not
    mapped there (it lives in the folder of its own name)."""
    setuptools = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    mapping = setuptools.get("package-dir", {})
    folders = set(mapping.values())
    folders |= {package for package in setuptools.get("packages", []) if "." not in package and package not in mapping}
    return sorted(root / folder for folder in folders)


def source_files(root: Path = ROOT) -> list[Path]:
    files = {root / "pyproject.toml"}
    for folder in wheel_folders(root):
        files |= {path for path in folder.rglob("*") if path.is_file() and path.suffix not in {".pyc", ".pyo"}
                  and not LEFT_OUT & set(path.relative_to(root).parts)
                  and not any(part.endswith(".egg-info") for part in path.relative_to(root).parts)}
    return sorted(files)


def tree_digest(root: Path = ROOT) -> str:
    """sha256 over each file's path (relative to `root`) and bytes, in path order."""
    digest = hashlib.sha256()
    for path in source_files(root):
        data = path.read_bytes()
        digest.update(f"{path.relative_to(root).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


if __name__ == "__main__":
    print(tree_digest(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT))
