"""Content-addressed on-disk cache of per-video features, so re-scoring a method skips the networks.

An entry is addressed by the sha256 of the decoded frames (dtype, shape and bytes) and the extractor key
(network, variant, preprocessing, weights sha256, execution): features are reused only for the very same
pixels through the very same computation. Entries are written atomically (a2bench.atomic).

The cache folder is a2bench's own: a marker file is written when the cache creates it, every entry written
is appended to an index, and `clear` deletes only indexed entries of a marked folder. A folder that is not
empty and carries no marker is refused, so a mistyped `--cache-dir` never mixes features with, or deletes,
a user's files.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from a2bench.atomic import atomic_write, remove_leftovers, temp_prefix
from a2bench.errors import A2BenchError
from a2bench.metrics.base import FeatureExtractor, MetricContext

MARKER = ".a2bench-feature-cache.json"
INDEX = "entries.log"
_ENTRY = re.compile(r"^[0-9a-f]{32}/[0-9a-f]{64}\.npy$")


def default_cache_dir() -> Path:
    """The per-user feature cache (e.g. ~/.cache/a2bench/features on Linux)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("a2bench")) / "features"


def frames_digest(frames: np.ndarray) -> str:
    """sha256 of decoded frames: dtype and shape, then the raw bytes in C order."""
    digest = hashlib.sha256(f"{frames.dtype.str}:{frames.shape}\n".encode())
    digest.update(np.ascontiguousarray(frames).data)
    return digest.hexdigest()


class CacheNotOwned(A2BenchError):
    """A folder given as the feature cache that a2bench did not create."""


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

    @property
    def owned(self) -> bool:
        """True when the folder carries a2bench's cache marker."""
        return (self.root / MARKER).is_file()

    def check_usable(self) -> None:
        """Refuse a folder that is not a cache (a file, or a non-empty folder a2bench did not create)."""
        if self.root.exists() and not self.root.is_dir():
            raise CacheNotOwned("the feature cache path is not a folder", path=self.root,
                                fix="pass --cache-dir a folder (new or one a2bench created), or --no-cache")
        marking = temp_prefix(self.root / MARKER)  # another process writing the marker right now
        if self.root.is_dir() and not self.owned and any(not p.name.startswith(marking) for p in self.root.iterdir()):
            raise CacheNotOwned("folder is not empty and is not an a2bench feature cache", path=self.root,
                                fix="pass --cache-dir a new or empty folder (a2bench marks the caches it creates)")

    def _claim(self) -> None:
        """Create the folder and its marker on first use."""
        if self.owned:
            return
        self.check_usable()
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write(self.root / MARKER, json.dumps({"owner": "a2bench", "kind": "feature cache",
                                                     "index": INDEX}) + "\n")

    def path(self, frames: np.ndarray, extractor_key: str) -> Path:
        """Where the features of these frames under this extractor live."""
        return self.path_for(frames_digest(frames), extractor_key)

    def path_for(self, digest: str, extractor_key: str) -> Path:
        """Where the features of frames with this digest under this extractor live."""
        folder = hashlib.sha256(extractor_key.encode()).hexdigest()[:32]
        return self.root / folder / f"{digest}.npy"

    def features(self, extractor: FeatureExtractor, frames: np.ndarray, digest: str | None = None) -> np.ndarray:
        """Cached features, computed and stored on a miss (same signature as the scorer's feature hook)."""
        path = self.path_for(digest or frames_digest(frames), extractor.key)
        cached = self.load(path)
        if cached is not None:
            return cached
        rows = np.asarray(extractor.extract(frames), dtype=np.float64)
        self._store(path, rows)
        return rows

    def load(self, path: Path) -> np.ndarray | None:
        """An entry's rows, or None when absent or unreadable (then it is recomputed and rewritten)."""
        try:
            rows = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None
        return rows if rows.ndim == 2 and rows.dtype == np.float64 else None

    def _store(self, path: Path, rows: np.ndarray) -> None:
        self._claim()
        atomic_write(path, lambda stream: np.save(stream, rows, allow_pickle=False))
        relative = path.relative_to(self.root).as_posix()
        with open(self.root / INDEX, "a", encoding="utf-8") as index:  # O_APPEND: concurrent lines stay whole
            index.write(relative + "\n")

    def _indexed(self) -> list[Path]:
        """Entries the index records that exist and have the cache's own name shape (once each)."""
        try:
            lines = (self.root / INDEX).read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        entries = dict.fromkeys(line for line in lines if _ENTRY.match(line))
        return [self.root / entry for entry in entries if (self.root / entry).is_file()]

    def info(self) -> CacheInfo:
        """Number of entries and bytes on disk."""
        entries = self._indexed() if self.owned else []
        return CacheInfo(entries=len(entries), bytes=sum(p.stat().st_size for p in entries))

    def clear(self) -> CacheInfo:
        """Delete every entry this cache recorded (and the entry folders it emptied); returns what was removed.

        Refuses a folder without the cache marker: nothing in it was created by a2bench's cache.
        """
        if not self.root.exists():
            return CacheInfo(0, 0)
        if not self.owned:
            raise CacheNotOwned("not an a2bench feature cache (no marker file); nothing was deleted",
                                path=self.root, fix="pass the --cache-dir of a cache a2bench created")
        removed = self.info()
        folders = set()
        for path in self._indexed():
            path.unlink(missing_ok=True)
            folders.add(path.parent)
        for folder in folders:
            remove_leftovers(folder)
            if not any(folder.iterdir()):
                folder.rmdir()
        atomic_write(self.root / INDEX, "")
        return removed

