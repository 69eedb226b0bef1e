"""The protocols' network input pipelines, as pure functions of uint8 RGB frames (T, H, W, 3).

Each returns float32 arrays in the layout its network takes: images (N, 3, S, S), clips
(N, 3, 16, S, S). A Pipeline pairs a function with its id; protocol declarations name pipelines, and the
ids enter protocol digests and feature-cache keys: change an id whenever the function behind it changes a
single output value. docs/metrics.md says where each comes from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from a2bench.metrics.base import MissingInput

CLEAN_FID = "clean-fid-pil-bicubic-299-clip"
PYTORCH_FID = "pytorch-fid-bilinear-299"
DISCO_FVD = "disco-fvd-pil-bicubic-224-window16"
DISCO_FID_VID = "disco-fidvid-pil-bicubic-112-mean-seg16"
STYLEGAN_V_FVD = "styleganv-fvd-bilinear-224-clip16-offset0"

CLIP_LENGTH = 16
KINETICS_MEAN = np.array([114.7748, 107.7354, 99.4750])  # 3D-ResNets' Kinetics RGB mean, 0–255 scale


def _check_frames(frames: np.ndarray) -> np.ndarray:
    """Refuse anything but uint8 (T, H, W, 3): a float frame on another scale would pass silently."""
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"expected uint8 frames (T, H, W, 3), got {frames.dtype} {frames.shape}")
    return frames


def pil_float_resize(frames: np.ndarray, size: int, clip: bool) -> np.ndarray:
    """clean-fid's resize: each channel as a float32 PIL 'F' image, bicubic to size×size, never rounded.

    Returns float32 (T, size, size, 3) on the 0–255 scale; clean-fid clips to [0, 255], DisCo's video
    datasets do not (bicubic overshoots at edges).
    """
    frames = _check_frames(frames)
    out = np.empty((len(frames), size, size, 3), dtype=np.float32)
    for t, frame in enumerate(frames):
        for c in range(3):
            image = Image.fromarray(frame[:, :, c].astype(np.float32))  # float32 → mode "F"
            out[t, :, :, c] = np.asarray(image.resize((size, size), resample=Image.BICUBIC))
    return np.clip(out, 0, 255, out=out) if clip else out


def _channels_first(frames: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(frames.transpose(0, 3, 1, 2))


def clean_fid_images(frames: np.ndarray) -> np.ndarray:
    """clean-fid's FID input (DisCo's call): clean resize to 299, then (x − 128) / 128 as its Inception wrapper."""
    resized = pil_float_resize(frames, 299, clip=True)
    return _channels_first((resized - np.float32(128)) / np.float32(128))


def pytorch_fid_images(frames: np.ndarray) -> np.ndarray:
    """pytorch-fid's FID input: x/255, bilinear to 299 (align_corners=False, no antialias), 2x − 1."""
    import torch
    import torch.nn.functional as F

    unit = torch.from_numpy(_channels_first(_check_frames(frames))).float().div(255)
    resized = F.interpolate(unit, size=(299, 299), mode="bilinear", align_corners=False)
    return (2 * resized - 1).numpy()


def _require_length(frames: np.ndarray, what: str) -> None:
    if len(frames) < CLIP_LENGTH:
        raise MissingInput(f"{what} needs videos of at least {CLIP_LENGTH} frames, got {len(frames)}",
                           fix=f"score videos with {CLIP_LENGTH} frames or more, or leave {what} out")


def disco_fvd_video(frames: np.ndarray) -> np.ndarray:
    """DisCo's FVD frames: PIL-'F' bicubic to 224 (unclipped), x/127.5 − 1; (T, 3, 224, 224)."""
    _require_length(frames, "FVD")
    resized = pil_float_resize(frames, 224, clip=False)
    return _channels_first(resized / np.float32(127.5) - np.float32(1))


def sliding_clips(video: np.ndarray, length: int = CLIP_LENGTH) -> np.ndarray:
    """Every window of `length` consecutive frames, stride 1: a read-only view (T − length + 1, C, length, H, W).

    DisCo's frames-folder dataset makes one clip per frame that has `length − 1` successors, i.e.
    T − 15 clips for 16; its older GIF script stopped one window early (T − 16).
    """
    if len(video) < length:
        raise MissingInput(f"a clip needs {length} frames, the video has {len(video)}")
    windows = np.lib.stride_tricks.sliding_window_view(video, length, axis=0)  # (N, C, H, W, length)
    return windows.transpose(0, 1, 4, 2, 3)


def disco_fvd_clips(frames: np.ndarray) -> np.ndarray:
    """DisCo's frames-folder FVD input: every 16-frame window of the resized video, (T − 15, 3, 16, 224, 224) view."""
    return sliding_clips(disco_fvd_video(frames))


def disco_fid_vid_segments(frames: np.ndarray) -> np.ndarray:
    """DisCo's FID-VID input: PIL-'F' bicubic to 112 (unclipped), Kinetics mean subtracted (no std),
    padded with copies of the last frame to a multiple of 16; (segments, 3, 16, 112, 112)."""
    resized = pil_float_resize(frames, 112, clip=False)
    pad = -len(resized) % CLIP_LENGTH
    if pad:
        resized = np.concatenate([resized, np.repeat(resized[-1:], pad, axis=0)])
    centred = (resized.astype(np.float64) - KINETICS_MEAN).astype(np.float32)
    segments = centred.reshape(-1, CLIP_LENGTH, 112, 112, 3)
    return np.ascontiguousarray(segments.transpose(0, 4, 1, 2, 3))


def stylegan_v_clip(frames: np.ndarray, offset: int = 0) -> np.ndarray:
    """StyleGAN-V's FVD input: one clip of 16 consecutive frames from `offset` (StyleGAN-V's generated-set choice),
    x/255·2 − 1, trilinear to (16, 224, 224) with align_corners=False as its I3D does; (1, 3, 16, 224, 224)."""
    import torch
    import torch.nn.functional as F

    _require_length(frames, "FVD")
    if not 0 <= offset <= len(frames) - CLIP_LENGTH:
        raise ValueError(f"clip offset {offset} does not fit a {len(frames)}-frame video")
    clip = frames[offset:offset + CLIP_LENGTH]
    tensor = torch.from_numpy(np.ascontiguousarray(clip.transpose(3, 0, 1, 2)))[None].float()
    scaled = tensor / 255 * 2 - 1
    return F.interpolate(scaled, size=(CLIP_LENGTH, 224, 224), mode="trilinear", align_corners=False).numpy()


@dataclass(frozen=True)
class Pipeline:
    """A network input pipeline under its id: what protocol declarations name."""

    id: str
    run: Callable[[np.ndarray], np.ndarray] | None  # None: the network's own transform (open_clip)
    words: str = ""  # what it does, for `a2bench metrics list`

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        if self.run is None:
            raise TypeError(f"pipeline {self.id} is the network's own transform; its extractor applies it")
        return self.run(frames)


CLEAN_FID_IMAGES = Pipeline(CLEAN_FID, clean_fid_images, "clean-fid preprocessing (PIL bicubic in float to 299)")
PYTORCH_FID_IMAGES = Pipeline(PYTORCH_FID, pytorch_fid_images, "pytorch-fid preprocessing (bilinear resize to 299)")
DISCO_FVD_CLIPS = Pipeline(DISCO_FVD, disco_fvd_clips,
                           "every 16-frame window (stride 1, T − 15 per video), PIL bicubic 224")
DISCO_FID_VID_SEGMENTS = Pipeline(DISCO_FID_VID, disco_fid_vid_segments,
                                  "16-frame segments (last padded), PIL bicubic 112, Kinetics mean subtracted")
STYLEGAN_V_CLIPS = Pipeline(STYLEGAN_V_FVD, stylegan_v_clip,
                            "one 16-frame clip per video (the first 16 frames), bilinear 224")
OPEN_CLIP_EVAL = Pipeline("open-clip-eval-transform", None,
                          "open_clip's eval transform (shortest side bicubic 224, centre crop, CLIP mean/std)")
