"""Read and write videos as uint8 RGB arrays of shape (T, H, W, 3).

A video is either a file (`.mp4` and other containers, decoded with decord, PyAV as fallback) or
a folder of image frames ordered by the numbers in their names. Grayscale frames are repeated to
three channels and an alpha channel is dropped (documented behaviour, see docs in README).
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, UnidentifiedImageError

from a2bench.atomic import atomic_folder, atomic_write
from a2bench.errors import VideoReadError

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".gif")
FRAME_SUFFIXES = (".png", ".jpg", ".jpeg")


def _natural_key(path: Path) -> list[object]:
    """Sort `frame2.png` before `frame10.png`."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def frame_files(folder: Path) -> list[Path]:
    """The image frames of a frame folder, in playback order."""
    return sorted((p for p in folder.iterdir() if p.suffix.lower() in FRAME_SUFFIXES), key=_natural_key)


def to_rgb(array: np.ndarray, source: Path) -> np.ndarray:
    """Bring a decoded image to uint8 RGB: gray is repeated, alpha dropped, other dtypes refused."""
    if array.dtype != np.uint8:
        raise VideoReadError(f"frames are {array.dtype}, expected 8-bit", path=source,
                             fix="save 8-bit RGB frames")
    if array.ndim == 2:
        return np.repeat(array[..., None], 3, axis=-1)
    if array.ndim == 3 and array.shape[-1] == 4:
        return np.ascontiguousarray(array[..., :3])
    if array.ndim == 3 and array.shape[-1] == 3:
        return array
    raise VideoReadError(f"frames have shape {array.shape}, expected H×W×3", path=source,
                         fix="save RGB frames")


HIGH_DEPTH_MODES = ("I", "I;16", "I;16B", "I;16L", "F")


def _stored_depth(image: Image.Image) -> str | None:
    """How the file stores samples when it uses more than 8 bits per channel: 16-bit gray opens as mode I;16, but
    16-bit RGB(A) opens as mode RGB(A) and Pillow would cut it to 8 bits on load, so its raw mode is read from the
    file's tiles (before `load()` empties them)."""
    if image.mode in HIGH_DEPTH_MODES:
        return image.mode
    for tile in image.tile:
        args = tile[3]
        rawmode = args if isinstance(args, str) else args[0] if args and isinstance(args[0], str) else ""
        if ";16" in rawmode:
            return rawmode
    return None


def _require_8bit(image: Image.Image, source: Path) -> None:
    """Refuse frames with more than 8 bits per channel, gray and colour alike (call before `image.load()`).

    Every conversion to 8 bits (truncating, rounding, rescaling) gives different pixels and so different scores;
    the protocols are defined on 8-bit frames, so a2bench picks none silently and asks for 8-bit frames instead.
    """
    depth = _stored_depth(image)
    if depth is not None:
        raise VideoReadError(f"frame has more than 8 bits per channel (16-bit or float: {depth}); the metrics are "
                             "defined on 8-bit frames and a2bench does not convert them, since each conversion gives "
                             "other numbers",
                             path=source, fix="export the frames as 8-bit PNG (e.g. with your own rounding, once)")


def unfollowable_link(path: Path) -> str | None:
    """Why `path` cannot be followed ("is a symlink loop", "is a broken symlink ..."), or None when it can."""
    try:
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symlink loop (following it leads back to itself)"
        if path.is_symlink():
            return f"is a broken symlink (its target {os.readlink(path)} does not exist)"
    return None


def _read_frame_folder(folder: Path) -> np.ndarray:
    files = frame_files(folder)
    if not files:
        raise VideoReadError("folder holds no .png or .jpg frames", path=folder,
                             fix="put the video's frames in it as numbered PNG files")
    frames = []
    for file in files:
        try:
            with Image.open(file) as image:
                _require_8bit(image, file)
                image.load()
                if image.mode not in ("L", "RGB", "RGBA"):
                    image = image.convert("RGB")
                array = np.asarray(image)
        except VideoReadError:
            raise
        except (OSError, UnidentifiedImageError, SyntaxError) as exc:
            raise VideoReadError(f"cannot decode frame ({exc})", path=file,
                                 fix="re-export the frame as PNG") from None
        frames.append(to_rgb(array, file))
    shapes = {f.shape for f in frames}
    if len(shapes) > 1:
        raise VideoReadError(f"frames have different sizes {sorted(shapes)}", path=folder,
                             fix="export every frame at the same resolution")
    return np.stack(frames)


def _decode_with_decord(path: Path) -> np.ndarray:
    import decord

    reader = decord.VideoReader(str(path), ctx=decord.cpu(0), num_threads=1)
    count = len(reader)
    if count == 0:
        raise VideoReadError("video has no frames", path=path, fix="re-encode the video")
    return reader.get_batch(list(range(count))).asnumpy()


def _decode_with_pyav(path: Path) -> np.ndarray:
    import av

    with av.open(str(path)) as container:
        if not container.streams.video:
            raise VideoReadError("file has no video stream", path=path, fix="pass a video file")
        stream = container.streams.video[0]
        expected = stream.frames
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
    if not frames:
        raise VideoReadError("video has no decodable frames", path=path, fix="re-encode the video")
    if expected and len(frames) < expected:
        raise VideoReadError(f"video is truncated: decoded {len(frames)} of {expected} frames",
                             path=path, fix="re-encode or re-download the video")
    return np.stack(frames)


def _read_video_file(path: Path) -> np.ndarray:
    errors = []
    for decode in (_decode_with_decord, _decode_with_pyav):
        try:
            return decode(path)
        except VideoReadError:
            raise
        except ImportError as exc:
            errors.append(str(exc))
        except Exception as exc:  # decoders raise their own error types for damaged files
            errors.append(f"{decode.__name__.removeprefix('_decode_with_')}: {exc}")
    raise VideoReadError(f"cannot decode video ({'; '.join(errors)})", path=path,
                         fix="check that the file is complete, or re-encode it as H.264 MP4")


def read_video(path: Path | str) -> np.ndarray:
    """Decode a video file or frame folder into uint8 RGB frames of shape (T, H, W, 3)."""
    path = Path(path)
    if path.is_dir():
        return _read_frame_folder(path)
    if not path.exists():
        raise VideoReadError("no such video", path=path, fix="check the path")
    if path.suffix.lower() in FRAME_SUFFIXES:
        return _read_frame_folder_single(path)
    return _read_video_file(path)


def _read_frame_folder_single(path: Path) -> np.ndarray:
    """A single image read as a one-frame video (used for reference images)."""
    try:
        with Image.open(path) as image:
            _require_8bit(image, path)
            image.load()
            array = np.asarray(image if image.mode in ("L", "RGB", "RGBA") else image.convert("RGB"))
    except VideoReadError:
        raise
    except (OSError, UnidentifiedImageError, SyntaxError) as exc:
        raise VideoReadError(f"cannot decode image ({exc})", path=path, fix="re-export it as PNG") from None
    return to_rgb(array, path)[None]


def read_image(path: Path | str) -> np.ndarray:
    """Decode one image into uint8 RGB (H, W, 3)."""
    return _read_frame_folder_single(Path(path))[0]


def write_png(path: Path, image: np.ndarray) -> None:
    """Write one uint8 RGB image as PNG, atomically."""
    atomic_write(path, lambda stream: Image.fromarray(image).save(stream, format="PNG"))


def _write_mp4(stream: IO[bytes], frames: np.ndarray, fps: int) -> None:
    import av

    height, width = frames.shape[1:3]
    with av.open(stream, mode="w", format="mp4") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height = width - width % 2, height - height % 2
        video.pix_fmt = "yuv420p"
        video.options = {"crf": "16"}
        for frame in frames:
            image = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame[: video.height, : video.width]),
                                               format="rgb24")
            container.mux(video.encode(image))
        container.mux(video.encode())


FRAME_NAME = re.compile(r"^\d{5}\.png$")


def write_video(path: Path | str, frames: np.ndarray, fps: int = 8) -> Path:
    """Write uint8 RGB frames as a folder of PNGs (no suffix) or an H.264 MP4 (`.mp4`), atomically.

    An existing frame folder is replaced only when it holds nothing but frames this function writes.
    """
    path = Path(path)
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"expected uint8 frames (T, H, W, 3), got {frames.dtype} {frames.shape}")
    if path.suffix.lower() == ".mp4":
        return atomic_write(path, lambda stream: _write_mp4(stream, frames, fps))
    with atomic_folder(path, replace=_remove_frame_folder) as staging:
        for index, frame in enumerate(frames):
            Image.fromarray(frame).save(staging / f"{index:05d}.png", format="PNG")
    return path


def _remove_frame_folder(folder: Path) -> None:
    """Delete a frame folder written by `write_video`; refuse one holding anything else."""
    children = list(folder.iterdir())
    foreign = [child.name for child in children if not (FRAME_NAME.match(child.name) and child.is_file())]
    if foreign:
        raise VideoReadError(f"exists and holds files a2bench did not write ({', '.join(sorted(foreign)[:3])})",
                             path=folder, fix="move them away or choose another output folder")
    for child in children:
        child.unlink()
    folder.rmdir()


def discover_videos(folder: Path | str) -> dict[str, Path]:
    """Map each video's stem to its path: video files and sub-folders of frames, one level deep."""
    folder = Path(folder)
    problem = unfollowable_link(folder)
    if problem:
        raise VideoReadError(problem, path=folder, fix="pass the folder itself, or a link that leads to it")
    found: dict[str, Path] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        problem = unfollowable_link(entry)
        if problem:
            raise VideoReadError(problem, path=entry, fix="remove the link, or point it at a video or frame folder")
        is_video = (entry.is_file() and entry.suffix.lower() in VIDEO_SUFFIXES) or entry.is_dir()
        if not is_video:
            continue
        stem = entry.stem if entry.is_file() else entry.name
        if stem in found:
            raise VideoReadError(f"two videos named '{stem}' ({found[stem].name} and {entry.name})",
                                 path=folder, fix="keep one video per name")
        found[stem] = entry
    return found
