"""Content-addressed on-disk cache of per-video features, so re-scoring a method skips the networks.

An entry is addressed by the sha256 of the decoded frames (dtype, shape and bytes) and the
extractor key (network, preprocessing, weights sha256): features are reused only for the very same
pixels through the very same pipeline. Entries are .npy files written to a temporary name and
renamed into place, so concurrent writers and killed runs never leave a partial entry behind.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from a2bench.metrics.base import FeatureExtractor, MetricContext

_SUFFIX = ".npy"
_TEMP_SUFFIX = ".tmp"


def default_cache_dir() -> Path:
    """The per-user feature cache (e.g. ~/.cache/a2bench/features on Linux)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("a2bench")) / "features"


def frames_digest(frames: np.ndarray) -> str:
    """sha256 of decoded frames: dtype and shape, then the raw bytes in C order."""
    digest = hashlib.sha256(f"{frames.dtype.str}:{frames.shape}\n".encode())
    digest.update(np.ascontiguousarray(frames).data)
    return digest.hexdigest()


@dataclass(frozen=True)
class CacheInfo:
    """How many entries the cache holds and how many bytes they take."""

    entries: int
    bytes: int


class FeatureCache:
    """Features by (frames, extractor key) under `root/<extractor digest>/<frames digest>.npy`."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else default_cache_dir()

    @classmethod
    def for_context(cls, context: MetricContext) -> FeatureCache:
        """The cache in the context's cache_dir, or the per-user default."""
        return cls(context.cache_dir)

    def path(self, frames: np.ndarray, extractor_key: str) -> Path:
        """Where the features of these frames under this extractor live."""
        folder = hashlib.sha256(extractor_key.encode()).hexdigest()[:32]
        return self.root / folder / (frames_digest(frames) + _SUFFIX)

    def features(self, extractor: FeatureExtractor, frames: np.ndarray) -> np.ndarray:
        """Cached features, computed and stored on a miss (same signature as the scorer's feature hook)."""
        path = self.path(frames, extractor.key)
        cached = self._load(path)
        if cached is not None:
            return cached
        rows = np.asarray(extractor.extract(frames), dtype=np.float64)
        self._store(path, rows)
        return rows

    def _load(self, path: Path) -> np.ndarray | None:
        """An entry's rows, or None when absent or unreadable (then it is recomputed and rewritten)."""
        try:
            rows = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None
        return rows if rows.ndim == 2 and rows.dtype == np.float64 else None

    def _store(self, path: Path, rows: np.ndarray) -> None:
        """Write to a unique temporary file in the entry's folder, then rename over the entry (atomic)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=path.stem + ".", suffix=_TEMP_SUFFIX, dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                np.save(stream, rows, allow_pickle=False)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def _entries(self) -> list[Path]:
        """Entry and leftover temporary files (only the cache's own two-level layout is touched)."""
        if not self.root.is_dir():
            return []
        return [p for p in self.root.glob("*/*") if p.is_file() and p.suffix in (_SUFFIX, _TEMP_SUFFIX)]

    def info(self) -> CacheInfo:
        """Number of entries and bytes on disk (leftover temporary files count as bytes only)."""
        files = self._entries()
        entries = sum(1 for p in files if p.suffix == _SUFFIX)
        return CacheInfo(entries=entries, bytes=sum(p.stat().st_size for p in files))

    def clear(self) -> CacheInfo:
        """Delete every entry (and empty entry folders); returns what was removed."""
        removed = self.info()
        for path in self._entries():
            path.unlink(missing_ok=True)
        for folder in self.root.glob("*"):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        return removed
