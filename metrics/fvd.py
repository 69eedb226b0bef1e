"""FVD: Fréchet distance between I3D (Kinetics-400) logits of 16-frame clips.

A protocol declares which clips are cut (every sliding window of DisCo's frame folders, DisCo's older GIF
windows, or one StyleGAN-V clip per video, see preprocess.py), the I3D variant (networks/i3d.py) and the
covariance convention (÷(N − 1) as np.cov, or ÷N as StyleGAN-V).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from a2bench.metrics import preprocess
from a2bench.metrics.base import DeclaredExtractor, DistributionMetric, ExtractorSpec, MetricContext
from a2bench.metrics.frechet import FrechetDistance
from a2bench.metrics.registry import METRICS
from a2bench.metrics.runtime import for_execution

WEIGHTS = "i3d-kinetics400"


class I3DExtractor(DeclaredExtractor):
    """400-d I3D logits of each clip the declared pipeline cuts from a video."""

    items = "clips"

    def load(self, path: Path, context: MetricContext) -> Any:
        from a2bench.metrics.networks.i3d import load_i3d

        return for_execution(load_i3d(path, context.torch_device(), variant=self.spec.variant), context)


@dataclass(frozen=True)
class FVDParams:
    clips: preprocess.Pipeline = preprocess.STYLEGAN_V_CLIPS
    variant: Literal["disco", "tats"] = "tats"
    ddof: int = 0


@METRICS.register
class FVD(DistributionMetric):
    """Fréchet distance over I3D logits of the declared clips."""

    kind = "fvd"
    label = "FVD"
    higher_is_better = False
    Params = FVDParams

    def describe(self) -> str:
        p = self.params
        clips = p.clips.words or p.clips.id
        covariance = "population covariance (÷N)" if p.ddof == 0 else f"covariance ÷(N−{p.ddof})"
        return f"FVD over {clips}, I3D ({p.variant}) logits, {covariance}."

    def extractor_spec(self) -> ExtractorSpec:
        return ExtractorSpec(I3DExtractor, "i3d-logits", WEIGHTS, self.params.clips, self.params.variant)

    def distance_function(self) -> FrechetDistance:
        return FrechetDistance(self.params.ddof)
