"""fvd_gif: DisCo's GIF-based FVD clips (T − 16 windows of per-frame 256-colour median-cut palettes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence

from a2bench.metrics import get_protocol, preprocess
from a2bench.metrics.base import MetricContext, MissingInput
from a2bench.metrics.fvd_gif import disco_fvd_gif_clips, gif_round_trip


def noisy(count: int, size: tuple[int, int] = (24, 32), seed: int = 0) -> np.ndarray:
    """Frames with thousands of colours (so the palette is lossy) and no two frames alike."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 200, size[1])[None, :, None]
    return np.clip(ramp + rng.normal(0, 30, (count, *size, 3)), 0, 255).astype(np.uint8)


def gif_file_round_trip(frames: np.ndarray, path: Path) -> np.ndarray:
    """Write a GIF as DisCo's writer does (imageio 2.14's GIF-PIL: each full frame quantised on its own to 256
    median-cut colours, no dithering, 33 cs a frame, looping) and read it back as DisCo's reader does
    (Pillow ImageSequence, each frame converted to RGB)."""
    quantised = [Image.fromarray(frame).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
                 for frame in frames]
    quantised[0].save(path, save_all=True, append_images=quantised[1:], duration=330, loop=0, disposal=2,
                       optimize=False)
    with Image.open(path) as gif:
        return np.stack([np.array(frame.copy().convert("RGB"), dtype=np.uint8)
                         for frame in ImageSequence.Iterator(gif)])


def test_in_memory_round_trip_equals_a_gif_file_round_trip(tmp_path: Path) -> None:
    frames = noisy(16)
    from_file = gif_file_round_trip(frames, tmp_path / "clip.gif")
    assert from_file.shape == frames.shape
    assert np.array_equal(gif_round_trip(frames), from_file)
    assert not np.array_equal(from_file, frames)  # the palette is lossy on these frames


def test_windows_start_at_every_frame_but_the_last_sixteen() -> None:
    frames = noisy(20)
    clips = disco_fvd_gif_clips(frames)
    assert clips.shape == (4, 3, 16, 224, 224)  # T − 16, one fewer than the frames folder's T − 15
    expected = preprocess.sliding_clips(preprocess.disco_fvd_video(gif_round_trip(frames)))
    assert np.array_equal(clips, expected[:4])
    few_colours = np.repeat(np.arange(0, 200, 10, dtype=np.uint8)[:, None, None, None], 3, -1) * np.ones(
        (1, 8, 8, 3), np.uint8)  # 20 frames of one colour each: the palette is exact
    assert np.array_equal(disco_fvd_gif_clips(few_colours), preprocess.disco_fvd_clips(few_colours)[:-1])
    assert disco_fvd_gif_clips(noisy(17)).shape[0] == 1
    with pytest.raises(MissingInput, match="17 frames"):
        disco_fvd_gif_clips(noisy(16))


def test_fvd_gif_is_declared_beside_fvd_in_the_paper_protocol(random_weights: Path) -> None:
    paper = get_protocol("animatex-paper")
    assert "fvd_gif" in paper.metric_names() and "fvd_gif" not in get_protocol("a2bench-v1").metric_names()
    metric = paper.get_metric("fvd_gif")
    metric.prepare(MetricContext(device="cpu", weights_dir=random_weights))
    frames = noisy(18, size=(32, 32), seed=3)
    rows = metric.extractor().extract(frames)
    assert rows.shape == (2, 400) and np.all(np.isfinite(rows))
    frames_folder = paper.get_metric("fvd")
    frames_folder.prepare(MetricContext(device="cpu", weights_dir=random_weights))
    assert frames_folder.extractor().extract(frames).shape == (3, 400)
    assert metric.describe().startswith("FVD over DisCo's GIF windows")
