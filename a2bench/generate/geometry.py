"""Where the protocol's frame sits inside an adapter's native canvas: stretched to it when the aspect ratios
agree, else letterboxed (scaled to fit, centred, black bars). The harness applies the same fit to every input
(images, frames, normalised keypoints) and undoes it on the output (crop the box, resize to the protocol)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ASPECT_TOLERANCE = 0.01  # relative difference of aspect ratios below which a plain resize is used


def _resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    import cv2

    if image.shape[:2] == (height, width):
        return image
    shrink = height < image.shape[0] and width < image.shape[1]
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


@dataclass(frozen=True)
class Fit:
    """The protocol frame `source` (H, W) placed in the canvas `canvas` (H, W) as the box (top, left, h, w)."""

    source: tuple[int, int]
    canvas: tuple[int, int]
    box: tuple[int, int, int, int]

    @classmethod
    def between(cls, source: tuple[int, int], canvas: tuple[int, int]) -> Fit:
        (sh, sw), (ch, cw) = source, canvas
        if abs((sw / sh) / (cw / ch) - 1) <= ASPECT_TOLERANCE:
            return cls(source, canvas, (0, 0, ch, cw))
        scale = min(ch / sh, cw / sw)
        height, width = min(ch, round(sh * scale)), min(cw, round(sw * scale))
        return cls(source, canvas, ((ch - height) // 2, (cw - width) // 2, height, width))

    @property
    def letterboxed(self) -> bool:
        return self.box != (0, 0, *self.canvas)

    def image(self, image: np.ndarray) -> np.ndarray:
        """An image at the protocol size (any size is first resized to it) placed in the canvas."""
        image = _resize(image, *self.source)
        top, left, height, width = self.box
        if not self.letterboxed:
            return _resize(image, height, width)
        canvas = np.zeros((*self.canvas, 3), dtype=np.uint8)
        canvas[top:top + height, left:left + width] = _resize(image, height, width)
        return canvas

    def frames(self, frames: np.ndarray) -> np.ndarray:
        return np.stack([self.image(frame) for frame in frames])

    def points(self, xy: np.ndarray) -> np.ndarray:
        """Normalised (x, y) of the protocol frame, (..., 2), as normalised coordinates of the canvas."""
        top, left, height, width = self.box
        out = np.asarray(xy, dtype=np.float64).copy()
        out[..., 0] = (out[..., 0] * width + left) / self.canvas[1]
        out[..., 1] = (out[..., 1] * height + top) / self.canvas[0]
        return out

    def undo(self, frames: np.ndarray) -> np.ndarray:
        """Canvas frames back to the protocol size: the box cropped out, then resized."""
        top, left, height, width = self.box
        cropped = frames[:, top:top + height, left:left + width]
        if cropped.shape[1:3] == self.source:
            return np.ascontiguousarray(cropped)
        return np.stack([_resize(frame, *self.source) for frame in cropped])

    def describe(self) -> str:
        (sh, sw), (ch, cw) = self.source, self.canvas
        top, left, height, width = self.box
        if self.letterboxed:
            return f"letterboxed {sh}×{sw} into {ch}×{cw} (box {height}×{width} at top {top}, left {left})"
        return f"resized {sh}×{sw} to {ch}×{cw}"
