"""The protocols' network input pipelines, as functions of uint8 RGB frames (T, H, W, 3).

Each pipeline has a host part, what must run on the CPU because it is defined there (PIL's float resizes,
exactly as clean-fid and DisCo compute them; slicing), and a device part, what is defined on tensors
(pytorch-fid's bilinear resize, StyleGAN-V's trilinear resize, scalings, window cutting), which runs where the
network runs, on uploads of the host part's output. A Pipeline pairs both under an id; protocol declarations
name pipelines, and the ids enter protocol digests and feature-cache keys: change an id whenever a function
behind it changes a single output value. The module-level functions compose both parts on the CPU; they
return the network's input layout: images (N, 3, S, S), clips (N, 3, 16, S, S). docs/metrics.md says where
each pipeline comes from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from a2bench.metrics.base import MissingInput

if TYPE_CHECKING:
    import torch

CLEAN_FID = "clean-fid-pil-bicubic-299-clip"
PYTORCH_FID = "pytorch-fid-bilinear-299"
DISCO_FVD = "disco-fvd-pil-bicubic-224-window16"
DISCO_FID_VID = "disco-fidvid-pil-bicubic-112-mean-seg16"
STYLEGAN_V_FVD = "styleganv-fvd-bilinear-224-clip16-offset0"

CLIP_LENGTH = 16
KINETICS_MEAN = (114.7748, 107.7354, 99.4750)  # 3D-ResNets' Kinetics RGB mean, 0–255 scale


def check_frames(frames: np.ndarray) -> np.ndarray:
    """Refuse anything but uint8 (T, H, W, 3): a float frame on another scale would pass silently."""
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"expected uint8 frames (T, H, W, 3), got {frames.dtype} {frames.shape}")
    return frames


def require_length(frames: np.ndarray, what: str, length: int = CLIP_LENGTH) -> None:
    """MissingInput when a video has fewer than `length` frames."""
    if len(frames) < length:
        raise MissingInput(f"{what} needs videos of at least {length} frames, got {len(frames)}",
                           fix=f"score videos with {length} frames or more, or leave {what} out")


def pil_float_resize(frames: np.ndarray, size: int, clip: bool) -> np.ndarray:
    """clean-fid's resize: each channel as a float32 PIL 'F' image, bicubic to size×size, never rounded.

    Returns float32 (T, size, size, 3) on the 0–255 scale; clean-fid clips to [0, 255], DisCo's video
    datasets do not (bicubic overshoots at edges).
    """
    frames = check_frames(frames)
    out = np.empty((len(frames), size, size, 3), dtype=np.float32)
    for t, frame in enumerate(frames):
        for c in range(3):
            image = Image.fromarray(frame[:, :, c].astype(np.float32))  # float32 → mode "F"
            out[t, :, :, c] = np.asarray(image.resize((size, size), resample=Image.BICUBIC))
    return np.clip(out, 0, 255, out=out) if clip else out


# ---------------------------------------------------------------- device parts (tensor operations)


def channels_first(x: torch.Tensor) -> torch.Tensor:
    """(T, H, W, C) → (T, C, H, W), contiguous."""
    return x.permute(0, 3, 1, 2).contiguous()


def windows(video: torch.Tensor, length: int = CLIP_LENGTH) -> torch.Tensor:
    """Every window of `length` consecutive frames of a (T, C, H, W) video, stride 1: a view
    (T − length + 1, C, length, H, W). DisCo's frames-folder dataset makes one clip per frame that has
    `length − 1` successors: T − 15 clips for 16 (its older GIF script stopped one window early, fvd_gif.py)."""
    if video.shape[0] < length:
        raise MissingInput(f"a clip needs {length} frames, the video has {video.shape[0]}")
    return video.unfold(0, length, 1).permute(0, 1, 4, 2, 3)


def _clean_fid_device(resized: torch.Tensor) -> torch.Tensor:
    return channels_first((resized - 128) / 128)


def _pytorch_fid_device(frames: torch.Tensor) -> torch.Tensor:
    import torch.nn.functional as F

    unit = channels_first(frames).float().div(255)
    return 2 * F.interpolate(unit, size=(299, 299), mode="bilinear", align_corners=False) - 1


def disco_video_device(resized: torch.Tensor) -> torch.Tensor:
    """DisCo's FVD frames from the 224 resize: x/127.5 − 1, (T, 3, 224, 224)."""
    return channels_first(resized / 127.5 - 1)


def _disco_fvd_device(resized: torch.Tensor) -> torch.Tensor:
    return windows(disco_video_device(resized))


def _disco_fid_vid_device(resized: torch.Tensor) -> torch.Tensor:
    import torch

    pad = -resized.shape[0] % CLIP_LENGTH
    if pad:
        resized = torch.cat([resized, resized[-1:].expand(pad, *resized.shape[1:])])
    mean = torch.tensor(KINETICS_MEAN, dtype=torch.float64, device=resized.device)
    centred = (resized.double() - mean).float()
    return centred.reshape(-1, CLIP_LENGTH, *resized.shape[1:]).permute(0, 4, 1, 2, 3).contiguous()


def _stylegan_v_device(clip: torch.Tensor) -> torch.Tensor:
    import torch.nn.functional as F

    scaled = clip.permute(3, 0, 1, 2)[None].float() / 255 * 2 - 1
    return F.interpolate(scaled, size=(CLIP_LENGTH, 224, 224), mode="trilinear", align_corners=False)


# ---------------------------------------------------------------- host parts (CPU, numpy)


def _clean_fid_host(frames: np.ndarray) -> np.ndarray:
    return pil_float_resize(frames, 299, clip=True)


def _disco_fvd_host(frames: np.ndarray) -> np.ndarray:
    require_length(frames, "FVD")
    return pil_float_resize(frames, 224, clip=False)


def _disco_fid_vid_host(frames: np.ndarray) -> np.ndarray:
    return pil_float_resize(frames, 112, clip=False)


def stylegan_v_host(frames: np.ndarray, offset: int = 0) -> np.ndarray:
    """The 16 consecutive frames from `offset` (StyleGAN-V's generated-set choice), uint8 (16, H, W, 3)."""
    require_length(check_frames(frames), "FVD")
    if not 0 <= offset <= len(frames) - CLIP_LENGTH:
        raise ValueError(f"clip offset {offset} does not fit a {len(frames)}-frame video")
    return np.ascontiguousarray(frames[offset:offset + CLIP_LENGTH])


@dataclass(frozen=True)
class Pipeline:
    """A network input pipeline under its id: its host part (CPU, numpy) and device part (tensors)."""

    id: str
    host: Callable[[np.ndarray], np.ndarray] | None  # None: the network's own transform (open_clip)
    device: Callable[[torch.Tensor], torch.Tensor] | None = None  # None: the host output is the input
    words: str = ""  # what it does, for `a2bench metrics list`

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        """Both parts on the CPU: the network input for these frames."""
        import torch

        if self.host is None:
            raise TypeError(f"pipeline {self.id} is the network's own transform; its extractor applies it")
        hosted = self.host(frames)
        return hosted if self.device is None else self.device(torch.from_numpy(hosted)).numpy()


CLEAN_FID_IMAGES = Pipeline(CLEAN_FID, _clean_fid_host, _clean_fid_device,
                            "clean-fid preprocessing (PIL bicubic in float to 299)")
PYTORCH_FID_IMAGES = Pipeline(PYTORCH_FID, check_frames, _pytorch_fid_device,
                              "pytorch-fid preprocessing (bilinear resize to 299)")
DISCO_FVD_CLIPS = Pipeline(DISCO_FVD, _disco_fvd_host, _disco_fvd_device,
                           "every 16-frame window (stride 1, T − 15 per video), PIL bicubic 224")
DISCO_FID_VID_SEGMENTS = Pipeline(DISCO_FID_VID, _disco_fid_vid_host, _disco_fid_vid_device,
                                  "16-frame segments (last padded), PIL bicubic 112, Kinetics mean subtracted")
STYLEGAN_V_CLIPS = Pipeline(STYLEGAN_V_FVD, stylegan_v_host, _stylegan_v_device,
                            "one 16-frame clip per video (the first 16 frames), bilinear 224")
OPEN_CLIP_EVAL = Pipeline("open-clip-eval-transform", None, None,
                          "open_clip's eval transform (shortest side bicubic 224, centre crop, CLIP mean/std)")


# ---------------------------------------------------------------- composed on the CPU (docs, tests)


def clean_fid_images(frames: np.ndarray) -> np.ndarray:
    """clean-fid's FID input (DisCo's call): clean resize to 299, then (x − 128) / 128 as its Inception wrapper."""
    return CLEAN_FID_IMAGES(frames)


def pytorch_fid_images(frames: np.ndarray) -> np.ndarray:
    """pytorch-fid's FID input: x/255, bilinear to 299 (align_corners=False, no antialias), 2x − 1."""
    return PYTORCH_FID_IMAGES(frames)


def disco_fvd_video(frames: np.ndarray) -> np.ndarray:
    """DisCo's FVD frames: PIL-'F' bicubic to 224 (unclipped), x/127.5 − 1; (T, 3, 224, 224)."""
    import torch

    return disco_video_device(torch.from_numpy(_disco_fvd_host(frames))).numpy()


def sliding_clips(video: np.ndarray, length: int = CLIP_LENGTH) -> np.ndarray:
    """Every window of `length` consecutive frames of a (T, C, H, W) video: a view (T − length + 1, C, length, H, W)."""
    import torch

    return windows(torch.from_numpy(video), length).numpy()


def disco_fvd_clips(frames: np.ndarray) -> np.ndarray:
    """DisCo's frames-folder FVD input: every 16-frame window of the resized video, (T − 15, 3, 16, 224, 224)."""
    return DISCO_FVD_CLIPS(frames)


def disco_fid_vid_segments(frames: np.ndarray) -> np.ndarray:
    """DisCo's FID-VID input: PIL-'F' bicubic to 112 (unclipped), Kinetics mean subtracted (no std),
    padded with copies of the last frame to a multiple of 16; (segments, 3, 16, 112, 112)."""
    return DISCO_FID_VID_SEGMENTS(frames)


def stylegan_v_clip(frames: np.ndarray, offset: int = 0) -> np.ndarray:
    """StyleGAN-V's FVD input: one clip of 16 consecutive frames from `offset`, x/255·2 − 1, trilinear to
    (16, 224, 224) with align_corners=False as its I3D does; (1, 3, 16, 224, 224)."""
    import torch

    return _stylegan_v_device(torch.from_numpy(stylegan_v_host(frames, offset))).numpy()
