"""The adapter interface: a method turns a reference image and driving poses into frames.

Adapters never see suites, metrics or reports; they receive one GenerationRequest at a time, prepared by the
harness at the adapter's native size, and the harness (not the adapter) brings what they return to the
protocol's size, frame count and fps (a2bench.generate.normalise).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from a2bench.registry import Registry

if TYPE_CHECKING:
    from a2bench.data.poses.format import PoseSequence
    from a2bench.generate.config import MethodConfig


class Input(str, Enum):
    """What an adapter consumes from a case (the harness loads only these)."""

    REFERENCE_IMAGE = "reference image"
    DRIVING_FRAMES = "driving frames"
    POSES = "pose sequence"
    SKELETON_FRAMES = "skeleton frames"


@dataclass(frozen=True)
class Native:
    """What a method generates natively: size (H, W) — None: whatever size it is asked for —, the frame count it
    was trained on (None: any) and the fps it writes."""

    size: tuple[int, int] | None = None
    frames: int | None = None
    fps: int | None = None

    def describe(self) -> str:
        size = f"{self.size[0]}×{self.size[1]}" if self.size else "any size"
        frames = f"{self.frames} frames" if self.frames else "any length"
        return f"{size}, {frames}" + (f", {self.fps} fps" if self.fps else "")


@dataclass(frozen=True)
class Readiness:
    """Whether a method can run now: configured, repository found, checkpoints present (None: not applicable),
    and one line per thing to fix."""

    configured: bool | None = None
    repository: bool | None = None
    checkpoints: bool | None = None
    missing: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class GenerationRequest:
    """Inputs for one video, at `output_size` (H, W) — the adapter's native size, or the protocol's.

    `driving_poses` are body keypoints in pixels, (T, 18, 3) COCO-18 plus confidence; `poses` is the same sequence
    normalised, with feet, hands and face when the case has them; frame arrays are uint8 RGB. Only the inputs the
    adapter declares in `consumes` are filled. `workdir` and `log` are the job's scratch folder and log file,
    `device` its device ("cpu" or "cuda:N"), `timeout` its time limit in seconds.
    """

    reference_image: np.ndarray
    driving_poses: np.ndarray
    output_size: tuple[int, int]
    reference_pose: np.ndarray | None = None
    seed: int = 0
    fps: int = 8
    case_id: str = "case"
    poses: PoseSequence | None = None
    reference_poses: PoseSequence | None = None
    driving_frames: np.ndarray | None = None
    skeleton_frames: np.ndarray | None = None
    workdir: Path | None = None
    log: Path | None = None
    device: str = "cpu"
    timeout: float | None = None
    notes: list[str] = field(default_factory=list, compare=False)

    @property
    def frames(self) -> int:
        """How many frames the video must have: one per driving pose."""
        return len(self.driving_poses)


class Adapter(ABC):
    """A method under evaluation. Subclasses set `name` and `description` and implement `generate`; they declare
    what they consume, their native output and whether they need a GPU."""

    name: ClassVar[str]
    description: ClassVar[str]
    consumes: ClassVar[frozenset[Input]] = frozenset({Input.REFERENCE_IMAGE, Input.POSES})
    native: ClassVar[Native] = Native()
    needs_gpu: ClassVar[bool] = False
    options: ClassVar[dict[str, type]] = {}  # method-specific keys its [methods.NAME] table may set

    def __init__(self, config: MethodConfig | None = None):
        self.config = config

    def readiness(self) -> Readiness:
        """Whether the method can run; in-process adapters always can."""
        return Readiness()

    def canvas(self, protocol_size: tuple[int, int]) -> tuple[int, int]:
        """The size (H, W) the request is prepared at: the native size, or the protocol's when it has none."""
        return self.native.size or protocol_size

    @abstractmethod
    def generate(self, request: GenerationRequest) -> np.ndarray | Path:
        """Return uint8 frames (T, H, W, 3) at `request.output_size`, one per driving pose, or the path of a video
        holding them."""


ADAPTERS: Registry[type[Adapter]] = Registry("method", Adapter, builtins=("a2bench.baselines",),
                                             group="a2bench.adapters")
register_adapter = ADAPTERS.register


def adapter_names() -> list[str]:
    return ADAPTERS.names()


def get_adapter(name: str, config: MethodConfig | None = None) -> Adapter:
    """An instance of the adapter registered as `name`, configured by its [methods.NAME] table when given."""
    return ADAPTERS.get(name)(config)
