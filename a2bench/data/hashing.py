"""File and decoded-content hashes.

Generated suites pin the hash of decoded content (pixels, arrays), which does not change when a PNG
encoder compresses differently; downloaded files pin the hash of their bytes.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from a2bench.errors import DataError
from a2bench.video.io import FRAME_SUFFIXES, frame_files

CHUNK = 1 << 20


def file_sha256(path: Path, progress: Callable[[int, int], None] | None = None) -> str:
    """sha256 of a file's bytes, read in chunks; `progress(done, total)` after each chunk."""
    digest, done, total = hashlib.sha256(), 0, path.stat().st_size
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    return digest.hexdigest()


def _update_array(digest: hashlib._Hash, name: str, array: np.ndarray) -> None:
    array = np.ascontiguousarray(array)
    digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
    digest.update(array.tobytes())


def _image_pixels(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except (OSError, UnidentifiedImageError, SyntaxError) as exc:
        raise DataError(f"cannot decode image ({exc})", path=path, fix="re-create the file") from None


def decoded_content_sha256(frames: np.ndarray, image: bool = False) -> str:
    """`content_sha256` of a frame folder (or, with `image`, of one image) from its already decoded uint8 RGB
    pixels, (T, H, W, 3) or (H, W, 3): the same digest without decoding the files a second time."""
    digest = hashlib.sha256()
    if image:
        _update_array(digest, "image", frames)
    else:
        for index, frame in enumerate(frames):
            _update_array(digest, str(index), frame)
    return digest.hexdigest()


def content_sha256(path: Path) -> str:
    """sha256 of decoded content: image pixels (RGB), a frame folder's pixels in order, or npz arrays."""
    digest = hashlib.sha256()
    if path.is_dir():
        files = frame_files(path)
        if not files:
            raise DataError("frame folder is empty", path=path, fix="re-create the suite's files")
        for index, file in enumerate(files):
            _update_array(digest, str(index), _image_pixels(file))
    elif path.suffix.lower() in FRAME_SUFFIXES:
        _update_array(digest, "image", _image_pixels(path))
    elif path.suffix.lower() == ".npz":
        try:
            with np.load(path, allow_pickle=False) as data:
                for key in sorted(data.files):
                    _update_array(digest, key, data[key])
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise DataError(f"cannot read arrays ({exc})", path=path, fix="re-create the file") from None
    else:
        return file_sha256(path)
    return digest.hexdigest()
