"""The clips of DisCo's older, GIF-based FVD (`tool/video/gen_gifs_for_fvd.py` at 8cb9387, then its GIF dataset),
so a published FVD can be told apart from the frames-folder FVD (`fvd`).

That script writes, per video, one 16-frame GIF starting at every frame but the last 16 (window starts
0 … T − 17: T − 16 GIFs, one fewer than the frames folder's T − 15), with imageio 2.14's GIF-PIL writer: every
frame gets its own adaptive 256-colour median-cut palette (Pillow `quantize(256, method=MEDIANCUT)`, no
dithering). Reading a GIF back with Pillow returns `palette[index]` per pixel, so the round trip is computed
in memory here, frame by frame (a frame's palette does not depend on its window). The frames then go through
the frames-folder pipeline: PIL bicubic in float to 224, x/127.5 − 1, one 16-frame clip per GIF.
DisCo's first gen_eval.sh decoded the GIFs with ffmpeg, which repeats every frame 8 times (DisCo#36); that
ffmpeg-version-dependent variant is not reproduced (docs/metrics.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from a2bench.metrics.base import MissingInput
from a2bench.metrics.preprocess import CLIP_LENGTH, Pipeline, disco_video_device, pil_float_resize, windows

if TYPE_CHECKING:
    import torch

DISCO_FVD_GIF = "disco-fvd-gif-mediancut256-pil-bicubic-224-window16-starts-0-to-T-17"


def gif_round_trip(frames: np.ndarray) -> np.ndarray:
    """uint8 RGB frames as a GIF written by imageio 2.14's GIF-PIL writer decodes: per-frame median-cut palette."""
    return np.stack([np.asarray(Image.fromarray(frame).quantize(colors=256, method=Image.Quantize.MEDIANCUT)
                                .convert("RGB")) for frame in frames])


def _host(frames: np.ndarray) -> np.ndarray:
    if len(frames) <= CLIP_LENGTH:
        raise MissingInput(f"fvd_gif needs videos of at least {CLIP_LENGTH + 1} frames, got {len(frames)} (DisCo's GIF "
                           "script drops the window that ends at the last frame)",
                           fix=f"score videos with {CLIP_LENGTH + 1} frames or more, or leave fvd_gif out")
    return pil_float_resize(gif_round_trip(frames), 224, clip=False)


def _device(resized: torch.Tensor) -> torch.Tensor:
    return windows(disco_video_device(resized))[:-1]


DISCO_FVD_GIF_CLIPS = Pipeline(DISCO_FVD_GIF, _host, _device,
                               "DisCo's GIF windows (starts 0 … T − 17, T − 16 per video), each frame on its own "
                               "256-colour median-cut GIF palette, PIL bicubic 224")


def disco_fvd_gif_clips(frames: np.ndarray) -> np.ndarray:
    """fvd_gif input: the T − 16 GIF windows of the palette-quantised video, (T − 16, 3, 16, 224, 224)."""
    return DISCO_FVD_GIF_CLIPS(frames)
