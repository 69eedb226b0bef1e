"""FID-VID: Fréchet distance between per-video 3D ResNet-50 features, as DisCo's `fid-vid` (FVD-3DRN50).

Each video: PIL-bicubic 112×112 frames minus the Kinetics mean, cut into 16-frame segments (the last
padded with copies of the final frame), one 2048-d feature per segment, averaged: one row per video.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from a2bench.metrics import preprocess
from a2bench.metrics.base import DeclaredExtractor, DistributionMetric, ExtractorSpec, MetricContext
from a2bench.metrics.frechet import FrechetDistance
from a2bench.metrics.registry import METRICS

WEIGHTS = "resnet3d50-kinetics"


class ResNet3DExtractor(DeclaredExtractor):
    """The mean 3D ResNet-50 feature over a video's 16-frame segments: (1, 2048)."""

    items = "clips"

    def load(self, path: Path, context: MetricContext) -> Any:
        from a2bench.metrics.networks.resnet3d import load_resnet3d50

        return load_resnet3d50(path, context.torch_device())

    def rows(self, outputs: np.ndarray) -> np.ndarray:
        return outputs.mean(axis=0, keepdims=True)


@dataclass(frozen=True)
class FIDVIDParams:
    preprocessing: preprocess.Pipeline = preprocess.DISCO_FID_VID_SEGMENTS
    ddof: int = 1


@METRICS.register
class FIDVID(DistributionMetric):
    """DisCo's FID-VID over one averaged 3D ResNet-50 feature per video."""

    kind = "fid_vid"
    label = "FID-VID"
    higher_is_better = False
    Params = FIDVIDParams

    def describe(self) -> str:
        return (f"Fréchet distance of per-video 3D ResNet-50 (Kinetics) features, DisCo's FVD-3DRN50, "
                f"covariance ÷(N−{self.params.ddof}).")

    def extractor_spec(self) -> ExtractorSpec:
        return ExtractorSpec(ResNet3DExtractor, "resnet3d50-pool", WEIGHTS, self.params.preprocessing)

    def distance_function(self) -> FrechetDistance:
        return FrechetDistance(self.params.ddof)
