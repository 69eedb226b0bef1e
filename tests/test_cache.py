"""The content-addressed feature cache: hits, misses, atomic writes, concurrent writers, info and clear."""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path

import numpy as np
import pytest

from a2bench.metrics import runtime
from a2bench.metrics.base import FeatureExtractor, MetricContext
from a2bench.metrics.cache import FeatureCache, default_cache_dir, frames_digest


class CountingExtractor(FeatureExtractor):
    """Mean colour per frame, counting how often it really runs."""

    def __init__(self, key: str = "toy:mean-rgb:0000"):
        self._key = key
        self.calls = 0

    @property
    def key(self) -> str:
        return self._key

    def extract(self, frames: np.ndarray) -> np.ndarray:
        self.calls += 1
        return frames.reshape(len(frames), -1, 3).mean(axis=1)


def video(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(4, 8, 6, 3), dtype=np.uint8)


def test_second_request_is_served_from_disk(tmp_path: Path) -> None:
    cache, extractor = FeatureCache(tmp_path), CountingExtractor()
    first = cache.features(extractor, video())
    second = FeatureCache(tmp_path).features(extractor, video())
    assert extractor.calls == 1
    assert np.array_equal(first, second) and second.dtype == np.float64
    assert cache.info().entries == 1


def test_key_covers_pixels_shape_and_extractor(tmp_path: Path) -> None:
    cache, extractor = FeatureCache(tmp_path), CountingExtractor()
    frames = video()
    changed = frames.copy()
    changed[2, 3, 1, 0] ^= 1
    cache.features(extractor, frames)
    cache.features(extractor, changed)
    cache.features(CountingExtractor("toy:mean-rgb:1111"), frames)
    assert cache.info().entries == 3
    assert frames_digest(frames) != frames_digest(frames.reshape(2, 16, 6, 3))  # same bytes, other shape


def test_unreadable_entry_is_recomputed(tmp_path: Path) -> None:
    cache, extractor = FeatureCache(tmp_path), CountingExtractor()
    expected = cache.features(extractor, video())
    cache.path(video(), extractor.key).write_bytes(b"not a numpy file")
    assert np.array_equal(cache.features(extractor, video()), expected)
    assert extractor.calls == 2
    assert np.array_equal(cache.features(extractor, video()), expected) and extractor.calls == 2


def test_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    for seed in range(3):
        cache.features(CountingExtractor(), video(seed))
    assert not list(tmp_path.rglob("*.tmp"))
    assert len(list(tmp_path.rglob("*.npy"))) == 3


def _write_same_entry(root: str) -> bytes:
    return FeatureCache(Path(root)).features(CountingExtractor(), video()).tobytes()


def test_concurrent_writers_agree(tmp_path: Path) -> None:
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.map(_write_same_entry, [str(tmp_path)] * 8)
    assert len(set(results)) == 1
    assert FeatureCache(tmp_path).info().entries == 1
    assert not list(tmp_path.rglob("*.tmp"))


def test_info_and_clear_touch_only_cache_entries(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    for seed in range(2):
        cache.features(CountingExtractor(), video(seed))
    (tmp_path / "notes.txt").write_text("keep me")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "data.csv").write_text("keep me too")
    info = cache.info()
    assert info.entries == 2 and info.bytes == sum(p.stat().st_size for p in tmp_path.rglob("*.npy"))
    removed = cache.clear()
    assert removed == info
    assert cache.info().entries == 0 and cache.info().bytes == 0
    assert (tmp_path / "notes.txt").exists() and (tmp_path / "other" / "data.csv").exists()
    assert FeatureCache(tmp_path / "absent").info().entries == 0


@pytest.mark.skipif(sys.platform != "linux", reason="XDG_CACHE_HOME is the Linux convention")
def test_default_location_is_the_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "a2bench" / "features"
    assert FeatureCache.for_context(MetricContext()).root == tmp_path / "a2bench" / "features"
    assert FeatureCache.for_context(MetricContext(cache_dir=tmp_path / "mine")).root == tmp_path / "mine"


def test_extractor_keys_name_how_features_were_computed(random_weights: Path) -> None:
    """Fast (batched) and exact features, or features from different layouts, never share cache entries."""
    from a2bench.metrics import get_protocol, resolve_metrics

    def keys(**options: object) -> set[str]:
        context = MetricContext(device="cpu", weights_dir=random_weights, **options)
        metrics = resolve_metrics(get_protocol("a2bench-v1").id, ("fid", "fid_vid", "fvd"))
        for metric in metrics:
            metric.prepare(context)
        return {metric.extractor().key for metric in metrics}

    exact, fast = keys(), keys(fast=True, batch_size=8)
    assert not exact & fast
    frames, clips = (f"cpu-exact-b{runtime.EXACT_BATCH[('cpu', items)]}" for items in ("frames", "clips"))
    assert {key.split(":")[0]: key.split(":")[-1] for key in exact} == {
        "fid-inception-pool3": frames, "resnet3d50-pool": clips, "i3d-logits-tats": f"{clips}-channels-last"}
    assert all(":cpu-fast8" in key for key in fast)
    assert keys(fast=True, batch_size=4) != fast
