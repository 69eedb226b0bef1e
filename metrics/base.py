"""Metric interfaces and the context they run in (WeightsMissing and MissingInput are re-exported here).

Three kinds of metric, all registered per protocol (see registry.py):
- FrameMetric: one value per aligned frame pair (PSNR, SSIM, L1, LPIPS); a case's value is the mean.
- CaseMetric: one value per frame from a case's frames, not necessarily against ground truth
  (CLIP identity vs the reference image, CLIP temporal consistency).
- DistributionMetric: a distance between the feature sets of all predicted and all ground-truth
  videos (FID, FID-VID, FVD); features come from a shared FeatureExtractor, computed once per video.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from a2bench.errors import MissingInput, WeightsMissing

__all__ = ["CaseFrames", "CaseMetric", "DistributionMetric", "FeatureExtractor", "FrameMetric", "Metric",
           "MetricContext", "MissingInput", "WeightsMissing"]


@dataclass
class MetricContext:
    """Where and how networks run, where weights and cached features live. Recorded in provenance."""

    device: str = "cpu"
    batch_size: int = 16
    workers: int = 0
    weights_dir: Path | None = None
    fast: bool = False
    cache_dir: Path | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    def torch_device(self) -> str:
        """The torch device string: `auto` picks CUDA when available (imports torch lazily)."""
        if self.device != "auto":
            return self.device
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    def provenance(self) -> dict[str, Any]:
        """What about this context can change a number: recorded with every result."""
        return {"device": self.device, "batch_size": self.batch_size, "fast": self.fast, **self.notes}


@dataclass(frozen=True)
class CaseFrames:
    """Decoded inputs of one case: the prediction (raw and aligned to the ground truth), the ground truth
    and the reference image when known. All uint8 RGB; videos (T, H, W, 3), the reference (H, W, 3)."""

    case_id: str
    pred: np.ndarray
    aligned: np.ndarray
    gt: np.ndarray | None = None
    reference: np.ndarray | None = None


class Metric(ABC):
    """What every metric declares: its name, label, direction and a one-line definition."""

    name: ClassVar[str]
    label: ClassVar[str]
    higher_is_better: ClassVar[bool]
    description: ClassVar[str]
    weights: ClassVar[tuple[str, ...]] = ()

    def prepare(self, context: MetricContext) -> None:  # noqa: B027  (optional hook; pixel metrics need nothing)
        """Load networks and weights once before scoring; raise WeightsMissing when they are absent."""


class CaseMetric(Metric):
    """A metric with one value per frame of a case, computed from the case's decoded frames."""

    @abstractmethod
    def case_values(self, case: CaseFrames) -> np.ndarray:
        """Per-frame values (float64, 1-D) for one case."""


class FrameMetric(CaseMetric):
    """A metric with one value per aligned (prediction, ground truth) frame pair."""

    @abstractmethod
    def per_frame(self, pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
        """Values for aligned uint8 frames of shape (T, H, W, 3): a float64 array of length T."""

    def case_values(self, case: CaseFrames) -> np.ndarray:
        if case.gt is None:
            raise MissingInput(f"{self.name} needs ground truth", path=case.case_id,
                               fix="score against a folder of ground-truth videos")
        return self.per_frame(case.aligned, case.gt)


class FeatureExtractor(ABC):
    """Turns one decoded video into feature rows (n, D). `key` names network, preprocessing and weights
    hash, so cached features are reused only when all three match."""

    @property
    @abstractmethod
    def key(self) -> str:
        """Cache key component: extractor id, preprocessing id, weights sha256."""

    @abstractmethod
    def extract(self, frames: np.ndarray) -> np.ndarray:
        """Feature rows (float64, (n, D)) for uint8 frames (T, H, W, 3)."""


class DistributionMetric(Metric):
    """A distance between the features of all predicted and all ground-truth videos."""

    @abstractmethod
    def extractor(self) -> FeatureExtractor:
        """The (prepared) feature extractor; metrics with equal extractor keys share features."""

    @abstractmethod
    def distance(self, pred_features: np.ndarray, gt_features: np.ndarray) -> float:
        """The metric from stacked feature rows of the prediction set and the ground-truth set."""
