"""`pose-warp`: a classical pose-guided warp — per-bone affine maps applied to the parts they own.

Each reference foreground pixel belongs to its nearest bone of the reference pose. For every bone
present in both poses, the affine map taking the target bone onto the reference bone warps that
bone's part into place; parts are composited (overlaps averaged) over a background plate estimated
from the reference image's borders.
"""

from __future__ import annotations

import cv2
import numpy as np

from a2bench.baselines.static import fit_to_size
from a2bench.data.poses.render import LIMBS, MIN_CONFIDENCE
from a2bench.generate.adapter import Adapter, GenerationRequest, register_adapter

BONES = (*LIMBS, (2, 8), (5, 11), (8, 11), (2, 5))
REACH = 0.2  # reference pixels farther than this (fraction of the height) from every bone are background
FOREGROUND_THRESHOLD = 30.0  # summed |RGB − background| above which a reference pixel is the character


def background_plate(image: np.ndarray) -> np.ndarray:
    """Per-row median of the left and right border strips, spread across the width (float32 RGB)."""
    width = image.shape[1]
    strip = max(4, width // 32)
    borders = np.concatenate([image[:, :strip], image[:, -strip:]], axis=1).astype(np.float32)
    rows = np.median(borders, axis=1)
    return np.broadcast_to(rows[:, None, :], image.shape).astype(np.float32)


def foreground_mask(image: np.ndarray, plate: np.ndarray) -> np.ndarray:
    """Mask (float32, 0 or 1) of pixels that differ from the background plate."""
    difference = np.abs(image.astype(np.float32) - plate).sum(axis=-1)
    return (difference > FOREGROUND_THRESHOLD).astype(np.float32)


def segment_distance(xs: np.ndarray, ys: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of every (x, y) to the segment a–b."""
    d = b - a
    t = np.clip(((xs - a[0]) * d[0] + (ys - a[1]) * d[1]) / max(float(d @ d), 1e-9), 0.0, 1.0)
    return np.hypot(xs - (a[0] + t * d[0]), ys - (a[1] + t * d[1]))


def usable_bones(reference_pose: np.ndarray, target_pose: np.ndarray) -> list[tuple[int, int]]:
    """Bones confidently present, and not degenerate, in both poses."""
    bones = []
    for a, b in BONES:
        if min(reference_pose[a, 2], reference_pose[b, 2], target_pose[a, 2], target_pose[b, 2]) < MIN_CONFIDENCE:
            continue
        if min(np.hypot(*(reference_pose[b, :2] - reference_pose[a, :2])),
               np.hypot(*(target_pose[b, :2] - target_pose[a, :2]))) < 1.0:
            continue
        bones.append((a, b))
    return bones


def bone_owners(reference_pose: np.ndarray, bones: list[tuple[int, int]], height: int, width: int) -> np.ndarray:
    """Index of the nearest bone for every reference pixel, −1 beyond REACH."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    distances = np.stack([segment_distance(xs, ys, reference_pose[a, :2], reference_pose[b, :2]) for a, b in bones])
    owners = np.argmin(distances, axis=0)
    owners[np.min(distances, axis=0) > REACH * height] = -1
    return owners


def bone_map(reference_pose: np.ndarray, target_pose: np.ndarray, bone: tuple[int, int], height: int,
             width: int) -> tuple[np.ndarray, np.ndarray]:
    """Source coordinates of the affine map taking the target bone onto the reference bone."""
    a, b = bone
    at, bt = target_pose[a, :2], target_pose[b, :2]
    ar, br = reference_pose[a, :2], reference_pose[b, :2]
    length_t, length_r = np.hypot(*(bt - at)), np.hypot(*(br - ar))
    along_t, along_r = (bt - at) / length_t, (br - ar) / length_r
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    rel_x, rel_y = xs - at[0], ys - at[1]
    along = (rel_x * along_t[0] + rel_y * along_t[1]) * (length_r / length_t)
    across = rel_x * -along_t[1] + rel_y * along_t[0]
    map_x = ar[0] + along * along_r[0] - across * along_r[1]
    map_y = ar[1] + along * along_r[1] + across * along_r[0]
    return map_x.astype(np.float32), map_y.astype(np.float32)


def warp_frame(image: np.ndarray, plate: np.ndarray, mask: np.ndarray, reference_pose: np.ndarray,
               target_pose: np.ndarray) -> np.ndarray:
    """One output frame: every bone's part warped to the target pose, over the background plate."""
    height, width = image.shape[:2]
    bones = usable_bones(reference_pose, target_pose)
    if not bones:
        return image
    owners = bone_owners(reference_pose, bones, height, width)
    color_sum = np.zeros((height, width, 3), dtype=np.float32)
    alpha_sum = np.zeros((height, width), dtype=np.float32)
    source = image.astype(np.float32)
    for index, bone in enumerate(bones):
        map_x, map_y = bone_map(reference_pose, target_pose, bone, height, width)
        owned = mask * (owners == index)
        alpha = cv2.remap(owned, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        color = cv2.remap(source, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        color_sum += color * alpha[..., None]
        alpha_sum += alpha
    coverage = np.minimum(alpha_sum, 1.0)[..., None]
    foreground = color_sum / np.maximum(alpha_sum, 1e-6)[..., None]
    return np.clip(np.rint(foreground * coverage + plate * (1 - coverage)), 0, 255).astype(np.uint8)


@register_adapter
class PoseWarpBaseline(Adapter):
    """Warps the reference image frame by frame from the reference pose to each target pose."""

    name = "pose-warp"
    description = "Classical per-bone affine warp of the parts each bone owns (no learning)."

    def generate(self, request: GenerationRequest) -> np.ndarray:
        image = fit_to_size(request.reference_image, request.output_size)
        reference_pose = request.reference_pose if request.reference_pose is not None else request.driving_poses[0]
        plate = background_plate(image)
        mask = foreground_mask(image, plate)
        return np.stack([warp_frame(image, plate, mask, reference_pose, target) for target in request.driving_poses])
