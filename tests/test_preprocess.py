"""Protocol input pipelines against direct PIL / torch computations and analytic cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torchvision.transforms import InterpolationMode
from torchvision.transforms.functional import resize

from a2bench.metrics import preprocess
from a2bench.metrics.base import MissingInput


def random_frames(count: int, height: int = 40, width: int = 56, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(count, height, width, 3), dtype=np.uint8)


def constant_frames(values: list[int], height: int = 20, width: int = 30) -> np.ndarray:
    """Frame t is filled with values[t] in every channel: lets a test read back which frame went where."""
    return np.stack([np.full((height, width, 3), v, dtype=np.uint8) for v in values])


def pil_channel(frame: np.ndarray, channel: int, size: int) -> np.ndarray:
    """One channel through PIL directly: float 'F' image, bicubic resize."""
    image = Image.fromarray(frame[:, :, channel].astype(np.float32), mode="F")
    return np.asarray(image.resize((size, size), Image.BICUBIC))


def test_pil_float_resize_is_per_channel_pil_bicubic() -> None:
    frames = random_frames(2)
    out = preprocess.pil_float_resize(frames, 97, clip=False)
    assert out.shape == (2, 97, 97, 3) and out.dtype == np.float32
    for t in range(2):
        for c in range(3):
            assert np.array_equal(out[t, :, :, c], pil_channel(frames[t], c, 97))


def test_clean_resize_clips_the_bicubic_overshoot_without_rounding() -> None:
    edge = np.zeros((1, 8, 8, 3), dtype=np.uint8)
    edge[:, :, 4:] = 255
    raw = preprocess.pil_float_resize(edge, 299, clip=False)
    clipped = preprocess.pil_float_resize(edge, 299, clip=True)
    assert raw.min() < 0 and raw.max() > 255  # bicubic rings at a hard edge
    assert clipped.min() == 0 and clipped.max() == 255
    assert np.array_equal(clipped, np.clip(raw, 0, 255))
    assert np.any(clipped != np.round(clipped))  # not quantised


def test_clean_fid_images_scale_and_layout() -> None:
    frames = random_frames(3)
    out = preprocess.clean_fid_images(frames)
    assert out.shape == (3, 3, 299, 299) and out.dtype == np.float32
    expected = (np.clip(pil_channel(frames[1], 2, 299), 0, 255) - 128) / 128
    assert np.allclose(out[1, 2], expected, atol=1e-6)
    flat = preprocess.clean_fid_images(constant_frames([0, 128, 255]))
    assert np.allclose(flat[:, 0, 150, 150], [-1, 0, 127 / 128], atol=1e-5)


def test_pytorch_fid_images_match_torchvision_bilinear() -> None:
    frames = random_frames(2)
    out = preprocess.pytorch_fid_images(frames)
    unit = torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255
    expected = 2 * resize(unit, [299, 299], InterpolationMode.BILINEAR, antialias=False) - 1
    assert out.shape == (2, 3, 299, 299)
    assert np.allclose(out, expected.numpy(), atol=1e-6)


def test_pytorch_fid_images_at_native_size_is_affine() -> None:
    frames = random_frames(1, 299, 299)
    out = preprocess.pytorch_fid_images(frames)
    assert np.allclose(out[0], frames[0].transpose(2, 0, 1) / 255 * 2 - 1, atol=1e-6)


def test_disco_fvd_windows_are_every_16_frame_window() -> None:
    values = list(range(0, 200, 10))  # 20 frames
    video = preprocess.disco_fvd_video(constant_frames(values))
    assert video.shape == (20, 3, 224, 224)
    clips = preprocess.sliding_clips(video)
    assert clips.shape == (5, 3, 16, 224, 224)  # n − 15 windows
    for start in range(5):
        expected = np.array(values[start:start + 16], dtype=np.float32) / np.float32(127.5) - 1
        assert np.allclose(clips[start, 1, :, 100, 100], expected, atol=1e-5)


def test_disco_fvd_resize_is_unclipped_pil_bicubic() -> None:
    frames = random_frames(16)
    video = preprocess.disco_fvd_video(frames)
    expected = pil_channel(frames[5], 0, 224) / np.float32(127.5) - 1
    assert np.array_equal(video[5, 0], expected)
    assert video.min() < -1 or video.max() > 1  # overshoot kept, as DisCo's dataset does


def test_video_shorter_than_a_clip_is_refused() -> None:
    short = random_frames(15)
    with pytest.raises(MissingInput, match="at least 16 frames"):
        preprocess.disco_fvd_video(short)
    with pytest.raises(MissingInput, match="at least 16 frames"):
        preprocess.stylegan_v_clip(short)
    with pytest.raises(MissingInput):
        preprocess.sliding_clips(np.zeros((15, 3, 4, 4), dtype=np.float32))


def test_exactly_sixteen_frames_give_one_window() -> None:
    assert preprocess.sliding_clips(preprocess.disco_fvd_video(random_frames(16))).shape[0] == 1


@pytest.mark.parametrize(("count", "segments"), [(1, 1), (16, 1), (20, 2), (32, 2)])
def test_fid_vid_segments_pad_with_the_last_frame(count: int, segments: int) -> None:
    values = [(7 * t) % 256 for t in range(count)]
    out = preprocess.disco_fid_vid_segments(constant_frames(values))
    assert out.shape == (segments, 3, 16, 112, 112) and out.dtype == np.float32
    padded = values + [values[-1]] * (segments * 16 - count)
    for c in range(3):
        expected = np.array(padded, dtype=np.float64) - preprocess.KINETICS_MEAN[c]
        assert np.allclose(out[:, c, :, 50, 50].ravel(), expected, atol=1e-3)


def test_fid_vid_resize_is_pil_bicubic_minus_mean_without_std() -> None:
    frames = random_frames(3)
    out = preprocess.disco_fid_vid_segments(frames)
    expected = pil_channel(frames[2], 1, 112).astype(np.float64) - preprocess.KINETICS_MEAN[1]
    assert np.allclose(out[0, 1, 2], expected, atol=1e-4)


def test_stylegan_v_clip_is_one_bilinear_clip_in_minus_one_one() -> None:
    frames = random_frames(20)
    clip = preprocess.stylegan_v_clip(frames)
    assert clip.shape == (1, 3, 16, 224, 224)
    scaled = torch.from_numpy(frames[:16]).permute(0, 3, 1, 2).float() / 255 * 2 - 1
    expected = F.interpolate(scaled, size=(224, 224), mode="bilinear", align_corners=False)
    assert np.allclose(clip[0].transpose(1, 0, 2, 3), expected.numpy(), atol=1e-6)
    later = preprocess.stylegan_v_clip(constant_frames(list(range(0, 200, 10)), 224, 224), offset=4)
    assert np.allclose(later[0, 0, :, 0, 0], np.arange(40, 200, 10) / 255 * 2 - 1, atol=1e-6)
    with pytest.raises(ValueError):
        preprocess.stylegan_v_clip(frames, offset=5)


def test_float_frames_are_refused() -> None:
    with pytest.raises(ValueError, match="uint8"):
        preprocess.pil_float_resize(np.zeros((1, 8, 8, 3), dtype=np.float32), 4, clip=True)
