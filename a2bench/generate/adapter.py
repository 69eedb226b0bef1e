"""The adapter interface: a method turns a reference image and driving poses into frames.

Adapters never see suites, metrics or reports; they receive one GenerationRequest at a time.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, TypeVar

import numpy as np

from a2bench.errors import UnknownNameError


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


_ADAPTERS: dict[str, type[Adapter]] = {}
AdapterClass = TypeVar("AdapterClass", bound=type[Adapter])


def register_adapter(cls: AdapterClass) -> AdapterClass:
    """Class decorator adding an adapter to the registry under its `name`."""
    if cls.name in _ADAPTERS:
        raise ValueError(f"adapter {cls.name!r} is registered twice")
    _ADAPTERS[cls.name] = cls
    return cls


def _load_builtin() -> None:
    import a2bench.baselines  # noqa: F401  (registers the built-in baselines)


def adapter_names() -> list[str]:
    _load_builtin()
    return list(_ADAPTERS)


def get_adapter(name: str) -> Adapter:
    """An instance of the adapter registered as `name`."""
    _load_builtin()
    if name not in _ADAPTERS:
        raise UnknownNameError(f"unknown method '{name}'", fix=f"use one of: {', '.join(_ADAPTERS)}")
    return _ADAPTERS[name]()

