"""Small animated previews of a case (reference | skeleton | ground truth | each method) for the HTML page:
animated WebP (Pillow), at most THUMB_SIDE pixels and THUMB_FRAMES frames, each capped at THUMB_BYTES and all
of a page at PAGE_BUDGET bytes, embedded as data URIs. A file that is missing or cannot be decoded becomes a
visible placeholder with the reason, never an error."""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from a2bench.errors import A2BenchError

THUMB_SIDE = 112
THUMB_FRAMES = 8
THUMB_BYTES = 32 * 1024
PAGE_BUDGET = 16 * 1024 * 1024
FRAME_MS = 150
CHUNK = 16  # cases encoded per batch, so encoding stops soon after the budget is spent
QUALITIES = (50, 30, 15)  # tried in turn until a preview fits THUMB_BYTES
ROLES = (("reference", "reference"), ("skeleton", "skeleton"), ("ground_truth", "ground truth"))


@dataclass(frozen=True)
class Preview:
    """One tile: its label, the data URI of its animation (None when it could not be made) and why not."""

    label: str
    uri: str | None
    problem: str | None = None
    path: str | None = None
    method: bool = False


def sample_frames(path: Path, count: int = THUMB_FRAMES) -> np.ndarray:
    """Up to `count` evenly spaced frames of a video file, frame folder or image (only those frames are read from
    a folder)."""
    from a2bench.video.io import frame_files, read_image, read_video

    if path.is_dir():
        files = frame_files(path)
        if not files:
            raise A2BenchError("no frames in the folder", path=path)
        picks = np.unique(np.linspace(0, len(files) - 1, min(count, len(files))).round().astype(int))
        return np.stack([read_image(files[i]) for i in picks])
    frames = read_video(path)
    picks = np.unique(np.linspace(0, len(frames) - 1, min(count, len(frames))).round().astype(int))
    return frames[picks]


def encode_preview(frames: np.ndarray, side: int = THUMB_SIDE, max_bytes: int = THUMB_BYTES) -> bytes:
    """Animated WebP of the frames, downscaled to fit `side`, re-encoded smaller until under `max_bytes` (the
    last try, with half the frames, is kept even if larger)."""
    from PIL import Image

    images = []
    for frame in frames:
        image = Image.fromarray(frame)
        image.thumbnail((side, side), Image.Resampling.BILINEAR)
        images.append(image)
    attempts = [(images, q) for q in QUALITIES] + [(images[::2], QUALITIES[-1])]
    data = b""
    for chosen, quality in attempts:
        buffer = io.BytesIO()
        chosen[0].save(buffer, "WEBP", save_all=len(chosen) > 1, append_images=chosen[1:], duration=FRAME_MS,
                       loop=0, quality=quality, method=4)
        data = buffer.getvalue()
        if len(data) <= max_bytes:
            break
    return data


def _tile(label: str, path: str | None, method: bool) -> Preview:
    """A tile for `path` (absent: a placeholder saying so)."""
    if not path:
        return Preview(label, None, "not scored" if method else "not recorded", None, method)
    try:
        data = encode_preview(sample_frames(Path(path)))
    except (A2BenchError, OSError, ValueError) as exc:
        problem = "file missing" if not Path(path).exists() else f"cannot decode ({exc})"
        return Preview(label, None, problem, path, method)
    return Preview(label, "data:image/webp;base64," + base64.b64encode(data).decode("ascii"), None, path, method)


class PreviewMaker:
    """Makes the tiles of cases in parallel, each distinct file once, until the page budget is spent."""

    def __init__(self, budget: int = PAGE_BUDGET, workers: int | None = None):
        self.budget = budget
        self.spent = 0
        self.omitted = 0
        self.workers = workers or min(8, os.cpu_count() or 1)
        self._made: dict[tuple[str, str | None, bool], Preview] = {}

    def cases(self, cases: Iterable[tuple[str, Mapping[str, str], Mapping[str, str | None]]]
              ) -> dict[str, list[Preview] | None]:
        """Tiles per case id, from (case id, files by role, prediction path by method); None for the cases left
        out once the budget is spent (counted in `omitted`; their files are not even read)."""
        cases = list(cases)
        result: dict[str, list[Preview] | None] = {}
        with ThreadPoolExecutor(self.workers) as pool:
            for start in range(0, len(cases), CHUNK):
                chunk = cases[start:start + CHUNK]
                if self.spent < self.budget:
                    self._make(pool, chunk)
                for case_id, files, videos in chunk:
                    result[case_id] = self._take(files, videos)
        return result

    def _keys(self, files: Mapping[str, str], videos: Mapping[str, str | None]) -> list[tuple[str, str | None, bool]]:
        return [(label, files.get(role), False) for role, label in ROLES] + \
            [(method, path, True) for method, path in videos.items()]

    def _make(self, pool: ThreadPoolExecutor, chunk: list[tuple[str, Mapping[str, str], Mapping[str, str | None]]]
              ) -> None:
        todo = [key for _, files, videos in chunk for key in self._keys(files, videos) if key not in self._made]
        todo = list(dict.fromkeys(todo))
        for key, tile in zip(todo, pool.map(lambda key: _tile(*key), todo), strict=True):
            self._made[key] = tile

    def _take(self, files: Mapping[str, str], videos: Mapping[str, str | None]) -> list[Preview] | None:
        keys = self._keys(files, videos)
        if self.spent >= self.budget or any(key not in self._made for key in keys):
            self.omitted += 1
            return None
        tiles = [self._made[key] for key in keys]
        size = sum(len(tile.uri or "") for tile in tiles)
        if self.spent + size > self.budget:
            self.spent = self.budget
            self.omitted += 1
            return None
        self.spent += size
        return tiles
