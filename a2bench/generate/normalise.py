"""The harness's side of every job: check what an adapter returned and bring it to the protocol — size (the
letterbox box cropped out, then resized), frame count (extra frames trimmed; too few is a failure) and fps
(one frame per driving pose, re-timed) — recording each thing it did."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from a2bench.errors import A2BenchError, VideoReadError
from a2bench.generate.geometry import Fit
from a2bench.video.io import read_video


class JobFailed(A2BenchError):
    """A job that produced no usable video; the message is recorded as its reason."""


def video_fps(path: Path) -> float | None:
    """The frame rate a video file declares (None for frame folders or when unknown)."""
    if path.is_dir():
        return None
    try:
        import av

        with av.open(str(path)) as container:
            rate = container.streams.video[0].average_rate
            return float(rate) if rate else None
    except Exception:  # an undecodable file is reported by decoding it
        return None


def decode_output(output: np.ndarray | Path) -> tuple[np.ndarray, float | None]:
    """The frames an adapter returned (decoded when it returned a path) and the fps its file declares."""
    if isinstance(output, Path):
        if not output.exists():
            raise JobFailed("the method wrote no output video", path=output,
                            fix="see the job's log for the method's own error")
        try:
            return read_video(output), video_fps(output)
        except VideoReadError as exc:
            raise JobFailed(f"the output video cannot be decoded ({exc.message})", path=output,
                            fix="see the job's log; a video cut short by a crash or a full disk is undecodable"
                            ) from None
    frames = np.asarray(output)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise JobFailed(f"the adapter returned {frames.dtype} frames of shape {frames.shape}",
                        fix="return uint8 RGB frames (T, H, W, 3)")
    return frames, None


def normalise(frames: np.ndarray, fit: Fit, expected: int, fps: int, source_fps: float | None = None
              ) -> tuple[np.ndarray, dict[str, str]]:
    """Frames at the canvas → frames at the protocol size, exactly `expected` of them; and what was done."""
    done: dict[str, str] = {}
    if frames.shape[1:3] != fit.canvas:
        (h, w), (ch, cw) = frames.shape[1:3], fit.canvas
        raise JobFailed(f"wrote a {h}×{w} video, but a2bench asked for {ch}×{cw}",
                        fix="check the method's resolution settings (height/width in a2bench.toml)")
    if len(frames) < expected:
        raise JobFailed(f"wrote {len(frames)} frames, but the case has {expected} driving poses",
                        fix="see the job's log; the method must generate one frame per driving pose")
    if len(frames) > expected:
        done["frames"] = f"trimmed {len(frames)} → {expected} frames"
        frames = frames[:expected]
    if fit.canvas != fit.source:
        done["size"] = (f"{fit.describe()}; undone on the output" if fit.letterboxed
                        else f"generated at {fit.canvas[0]}×{fit.canvas[1]}, resized to {fit.source[0]}×"
                             f"{fit.source[1]}")
        frames = fit.undo(frames)
    if source_fps is not None and abs(source_fps - fps) > 1e-3:
        done["fps"] = f"{source_fps:g} → {fps} fps (one frame per driving pose, re-timed)"
    return frames, done
