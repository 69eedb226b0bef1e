"""Writing inputs the way external repositories read them: JPEG frames as cv2.imwrite writes them, PNG images,
pose videos, pickles any NumPy can load, YAML configs derived from the repository's own, and finding the
output a repository wrote."""

from __future__ import annotations

import io
import pickle
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from a2bench.generate.normalise import JobFailed

YAML_FLOAT_LOOKALIKE = "e-"  # Animate-X/UniAnimate's config loader turns strings with "e-" at [1:3] into floats


def write_image(path: Path, rgb: np.ndarray, quality: int = 95) -> Path:
    """An RGB image written with OpenCV (JPEG quality `quality`, cv2's default, or PNG by the suffix)."""
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    parameters = [cv2.IMWRITE_JPEG_QUALITY, quality] if path.suffix.lower() in (".jpg", ".jpeg") else []
    if not cv2.imwrite(str(path), np.ascontiguousarray(rgb[..., ::-1]), parameters):
        raise JobFailed("cannot write a staged image", path=path, fix="check the free space of the run directory")
    return path


def write_frames(folder: Path, frames: np.ndarray, name: str = "{:04d}.jpg") -> list[Path]:
    """Frames as numbered image files (`name` formats the index)."""
    return [write_image(folder / name.format(index), frame) for index, frame in enumerate(frames)]


def write_mp4(path: Path, frames: np.ndarray, fps: int) -> Path:
    """An H.264 MP4 (yuv420p) the repositories' decoders read."""
    from a2bench.video.io import write_video

    return write_video(path, frames, fps=fps)


class _PortablePickler(pickle.Pickler):
    """Pickles arrays as `numpy.array(list, dtype)`, which NumPy 1.x and 2.x both load (NumPy 2's own array
    pickles name `numpy._core`, which NumPy 1.x interpreters of the repositories cannot import)."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, np.ndarray):
            return np.array, (obj.tolist(), obj.dtype.str)
        if isinstance(obj, np.generic):
            return np.array(obj).dtype.type, (obj.item(),)
        return NotImplemented


def write_pickle(path: Path, value: Any) -> Path:
    """A pickle (protocol 4, Python ≥ 3.4) of dicts, lists and arrays, loadable by any NumPy."""
    buffer = io.BytesIO()
    _PortablePickler(buffer, protocol=4).dump(value)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return path


def load_yaml(path: Path) -> dict[str, Any]:
    """A repository's YAML config as a dict; a missing or unreadable one fails the job naming it."""
    import yaml

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise JobFailed("the repository's config file is missing", path=path,
                        fix="point repo at a complete checkout of the repository") from None
    except (OSError, yaml.YAMLError) as exc:
        raise JobFailed(f"cannot read the repository's config ({exc})", path=path,
                        fix="restore the file from the repository") from None
    if not isinstance(document, dict):
        raise JobFailed("the repository's config is not a mapping", path=path, fix="restore it from the repository")
    return document


def merge(base: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `changes` applied; nested tables are merged key by key."""
    out = dict(base)
    for key, value in changes.items():
        out[key] = merge(out[key], value) if isinstance(value, Mapping) and isinstance(out.get(key), dict) else value
    return out


def write_yaml(path: Path, document: Mapping[str, Any]) -> Path:
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def check_config_strings(document: Mapping[str, Any], where: Path) -> None:
    """Fail (naming the value) when the UniAnimate-family config loader would turn a path into a float."""
    for key, value in document.items():
        if isinstance(value, Mapping):
            check_config_strings(value, where)
        elif isinstance(value, str) and value[1:3] == YAML_FLOAT_LOOKALIKE:
            raise JobFailed(f"config value {key}: {value!r} would be read as a number by the repository",
                            path=where, fix="use a run directory whose path does not start with '/?e-'")


def find_output(folder: Path, pattern: str, what: str, regex: str | None = None) -> Path:
    """The one file matching `pattern` (and `regex`, on its name) under `folder`; JobFailed when none or several."""
    found = sorted(p for p in folder.glob(pattern) if p.is_file() and (regex is None or re.fullmatch(regex, p.name)))
    if not found:
        raise JobFailed(f"the method wrote no {what} ({pattern})", path=folder,
                        fix="see the job's log for the method's own error")
    if len(found) > 1:
        raise JobFailed(f"the method wrote {len(found)} files matching {pattern}, expected one", path=folder,
                        fix="remove earlier results from that folder")
    return found[0]
