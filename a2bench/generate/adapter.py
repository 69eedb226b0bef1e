"""The adapter interface: a method turns a reference image and driving poses into frames.

Adapters never see suites, metrics or reports; they receive one GenerationRequest at a time.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from a2bench.registry import Registry


@dataclass(frozen=True)
class GenerationRequest:
    """Inputs for one video. Keypoints are in pixels of the output size, (T, 18, 3) COCO-18."""

    reference_image: np.ndarray
    driving_poses: np.ndarray
    output_size: tuple[int, int]
    reference_pose: np.ndarray | None = None
    seed: int = 0


class Adapter(ABC):
    """A method under evaluation. Subclasses set `name` and `description` and implement `generate`."""

    name: ClassVar[str]
    description: ClassVar[str]

    @abstractmethod
    def generate(self, request: GenerationRequest) -> np.ndarray:
        """Return uint8 frames (T, H, W, 3), one per driving pose, at `request.output_size`."""


ADAPTERS: Registry[type[Adapter]] = Registry("method", Adapter, builtins=("a2bench.baselines",),
                                             group="a2bench.adapters")
register_adapter = ADAPTERS.register


def adapter_names() -> list[str]:
    return ADAPTERS.names()


def get_adapter(name: str) -> Adapter:
    """An instance of the adapter registered as `name`."""
    return ADAPTERS.get(name)()
