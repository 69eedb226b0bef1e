"""The pose file format: one `.npz` per sequence.

Keys: `body` float32 (T, 18, 3) in COCO-18 / OpenPose order — x and y normalised to [0, 1] by the
image width and height, then a confidence in [0, 1] (0 for parts the character lacks);
`image_size` int64 [H, W]. Optional, as DWPose produces them: `feet` (T, 6, 3) in FEET order, `face`
(T, 68, 3) in the 68-point iBUG 300-W order, `hands` (T, 42, 3): the left hand's 21 points, then the right
hand's, each in the OpenPose hand order (wrist, then four points per finger from thumb to little finger);
same conventions. The full description is docs/poses.md.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from a2bench.atomic import atomic_write
from a2bench.errors import DataError

COCO18 = (
    "nose", "neck", "r_shoulder", "r_elbow", "r_wrist", "l_shoulder", "l_elbow", "l_wrist",
    "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "r_eye", "l_eye", "r_ear", "l_ear",
)
JOINT = {name: index for index, name in enumerate(COCO18)}
OPTIONAL_PARTS = {"feet": 6, "face": 68, "hands": 42}
FEET = ("l_big_toe", "l_small_toe", "l_heel", "r_big_toe", "r_small_toe", "r_heel")
HAND_POINTS = 21


@dataclass
class PoseSequence:
    """Keypoints of one sequence, normalised coordinates plus confidence, and the frame size."""

    body: np.ndarray
    image_size: tuple[int, int]
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.body = np.asarray(self.body, dtype=np.float32)
        if self.body.ndim != 3 or self.body.shape[1:] != (18, 3):
            raise ValueError(f"body keypoints must have shape (T, 18, 3), got {self.body.shape}")

    def __len__(self) -> int:
        return self.body.shape[0]

    def pixels(self, size: tuple[int, int] | None = None) -> np.ndarray:
        """Body keypoints with x, y in pixels of `size` (H, W; default: the sequence's own size)."""
        height, width = size or self.image_size
        out = self.body.astype(np.float64).copy()
        out[..., 0] *= width
        out[..., 1] *= height
        return out

    @classmethod
    def from_pixels(cls, keypoints: np.ndarray, image_size: tuple[int, int]) -> PoseSequence:
        """Build from pixel coordinates (T, 18, 3)."""
        height, width = image_size
        body = np.asarray(keypoints, dtype=np.float64).copy()
        body[..., 0] /= width
        body[..., 1] /= height
        return cls(body=body.astype(np.float32), image_size=(int(height), int(width)))


def save_poses(path: Path | str, poses: PoseSequence) -> Path:
    """Write a pose sequence atomically in the documented `.npz` format."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {"body": poses.body, "image_size": np.asarray(poses.image_size, dtype=np.int64)}
    arrays.update({name: np.asarray(value, dtype=np.float32) for name, value in poses.extra.items()})
    return atomic_write(path, lambda stream: np.savez(stream, **arrays))


def load_poses(path: Path | str) -> PoseSequence:
    """Read and validate a pose file; a malformed one raises DataError naming the file."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise DataError(f"cannot read pose file ({exc})", path=path, fix="regenerate or re-import the poses") from None
    if "body" not in arrays or "image_size" not in arrays:
        raise DataError("pose file lacks 'body' or 'image_size'", path=path,
                        fix="write poses with a2bench's pose format (see the README)")
    body = arrays.pop("body")
    size = tuple(int(v) for v in arrays.pop("image_size"))
    if body.ndim != 3 or body.shape[1:] != (18, 3) or len(size) != 2:
        raise DataError(f"body keypoints have shape {body.shape}, expected (T, 18, 3)", path=path,
                        fix="store COCO-18 body keypoints")
    extra = {}
    for name, count in OPTIONAL_PARTS.items():
        if name in arrays:
            part = arrays[name]
            if part.shape != (body.shape[0], count, 3):
                raise DataError(f"'{name}' has shape {part.shape}, expected ({body.shape[0]}, {count}, 3)",
                                path=path, fix="store optional parts with the body's frame count")
            extra[name] = part
    return PoseSequence(body=body, image_size=(size[0], size[1]), extra=extra)
