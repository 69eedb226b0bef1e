"""FID: Fréchet distance between Inception pool3 features of all predicted and all ground-truth frames.

Both protocols use pytorch-fid's FID Inception (a port of the TF graph that clean-fid's TorchScript
network also ports); they declare the resize in front of it (clean-fid's PIL bicubic in float, or
pytorch-fid's torch bilinear) and the covariance convention (np.cov's N − 1 in both).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from a2bench.metrics import preprocess
from a2bench.metrics.base import DeclaredExtractor, DistributionMetric, ExtractorSpec, MetricContext
from a2bench.metrics.frechet import FrechetDistance
from a2bench.metrics.registry import METRICS

WEIGHTS = "fid-inception"


class InceptionExtractor(DeclaredExtractor):
    """Pool3 features (T, 2048) of every frame."""

    def load(self, path: Path, context: MetricContext) -> Any:
        from a2bench.metrics.networks.inception import load_fid_inception

        return load_fid_inception(path, context.torch_device())


@dataclass(frozen=True)
class FIDParams:
    preprocessing: preprocess.Pipeline = preprocess.PYTORCH_FID_IMAGES
    ddof: int = 1


@METRICS.register
class FID(DistributionMetric):
    """Fréchet distance over every frame's pool3 feature."""

    kind = "fid"
    label = "FID"
    higher_is_better = False
    Params = FIDParams

    def describe(self) -> str:
        resize = self.params.preprocessing.words or self.params.preprocessing.id
        return f"FID over all frames, {resize}, Inception pool3, covariance ÷(N−{self.params.ddof})."

    def extractor_spec(self) -> ExtractorSpec:
        return ExtractorSpec(InceptionExtractor, "fid-inception-pool3", WEIGHTS, self.params.preprocessing)

    def distance_function(self) -> FrechetDistance:
        return FrechetDistance(self.params.ddof)
