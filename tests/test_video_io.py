"""Video I/O: round trips, decoders agreeing, and every kind of bad video named in a clear error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from a2bench.errors import VideoReadError
from a2bench.video.io import _decode_with_decord, _decode_with_pyav, discover_videos, read_video, write_video

RNG = np.random.default_rng(3)


def smooth_frames(t: int = 6, h: int = 64, w: int = 96) -> np.ndarray:
    base = RNG.integers(0, 256, size=(t, h // 8, w // 8, 3), dtype=np.uint8)
    return np.repeat(np.repeat(base, 8, axis=1), 8, axis=2)


def test_png_folder_round_trip_is_lossless(tmp_path: Path) -> None:
    frames = RNG.integers(0, 256, size=(4, 20, 30, 3), dtype=np.uint8)
    write_video(tmp_path / "clip", frames)
    np.testing.assert_array_equal(read_video(tmp_path / "clip"), frames)


def test_frames_are_ordered_by_the_numbers_in_their_names(tmp_path: Path) -> None:
    folder = tmp_path / "clip"
    folder.mkdir()
    for index in (1, 2, 10):
        Image.fromarray(np.full((4, 4, 3), index, np.uint8)).save(folder / f"frame{index}.png")
    assert list(read_video(folder)[:, 0, 0, 0]) == [1, 2, 10]


def test_mp4_round_trip_is_close_and_both_decoders_agree(tmp_path: Path) -> None:
    frames = smooth_frames()
    path = write_video(tmp_path / "clip.mp4", frames)
    decoded = read_video(path)
    assert decoded.shape == frames.shape
    assert np.abs(decoded.astype(int) - frames).mean() < 6
    np.testing.assert_array_equal(_decode_with_decord(path), _decode_with_pyav(path))


def test_grayscale_frames_are_repeated_and_alpha_is_dropped(tmp_path: Path) -> None:
    folder = tmp_path / "gray"
    folder.mkdir()
    Image.fromarray(np.full((4, 4), 77, np.uint8), mode="L").save(folder / "0.png")
    assert read_video(folder).shape == (1, 4, 4, 3) and read_video(folder).max() == 77
    rgba = tmp_path / "rgba"
    rgba.mkdir()
    Image.fromarray(np.full((4, 4, 4), 9, np.uint8), mode="RGBA").save(rgba / "0.png")
    np.testing.assert_array_equal(read_video(rgba), np.full((1, 4, 4, 3), 9, np.uint8))


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_mp4_is_named_in_the_error(tmp_path: Path, cut: float) -> None:
    data = write_video(tmp_path / "full.mp4", smooth_frames(t=12)).read_bytes()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(VideoReadError, match=r"broken\.mp4"):
        read_video(broken)


def test_file_that_is_not_a_video(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("hello")
    with pytest.raises(VideoReadError, match="re-encode"):
        read_video(path)


def test_missing_empty_and_mixed_size_folders(tmp_path: Path) -> None:
    with pytest.raises(VideoReadError, match="no such video"):
        read_video(tmp_path / "absent.mp4")
    (tmp_path / "empty").mkdir()
    with pytest.raises(VideoReadError, match=r"no \.png"):
        read_video(tmp_path / "empty")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(mixed / "0.png")
    Image.fromarray(np.zeros((5, 4, 3), np.uint8)).save(mixed / "1.png")
    with pytest.raises(VideoReadError, match="different sizes"):
        read_video(mixed)


def test_corrupt_png_frame_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "clip"
    write_video(folder, smooth_frames(t=2, h=8, w=8))
    (folder / "00001.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(VideoReadError, match=r"00001\.png"):
        read_video(folder)


def test_discover_videos_pairs_stems_and_rejects_duplicates(tmp_path: Path) -> None:
    write_video(tmp_path / "a.mp4", smooth_frames(t=2))
    write_video(tmp_path / "b", smooth_frames(t=2))
    (tmp_path / "readme.txt").write_text("not a video")
    assert sorted(discover_videos(tmp_path)) == ["a", "b"]
    write_video(tmp_path / "a", smooth_frames(t=2))
    with pytest.raises(VideoReadError, match="two videos named 'a'"):
        discover_videos(tmp_path)


def test_sixteen_bit_frames_are_refused_not_clipped(tmp_path: Path) -> None:
    folder = tmp_path / "deep"
    folder.mkdir()
    Image.fromarray(np.full((4, 4), 40000, np.uint16)).save(folder / "0.png")
    with pytest.raises(VideoReadError, match="16-bit"):
        read_video(folder)


def test_sixteen_bit_colour_frames_and_images_are_refused_like_gray(tmp_path: Path) -> None:
    import cv2

    from a2bench.video.io import read_image

    folder = tmp_path / "deep-rgb"
    folder.mkdir()
    assert cv2.imwrite(str(folder / "0.png"), np.full((4, 4, 3), 40000, np.uint16))
    with pytest.raises(VideoReadError, match="16-bit or float: RGB;16B"):
        read_video(folder)
    with pytest.raises(VideoReadError, match="16-bit or float: RGB;16B"):
        read_image(folder / "0.png")
