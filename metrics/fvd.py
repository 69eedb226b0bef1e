"""FVD: Fréchet distance between I3D (Kinetics-400) logits of 16-frame clips.

animatex-paper (DisCo's FVD-3DInception on frame folders): every 16-frame window, stride 1 (T − 15 clips
per video), PIL-bicubic 224 frames scaled x/127.5 − 1, DisCo's I3D variant, np.cov's N − 1.
a2bench-v1 (StyleGAN-V's fvd2048_16f): one clip per video (the first 16 frames), bilinear 224, [-1, 1],
the TF-Hub-faithful I3D variant, population covariance (÷N).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np

from a2bench.metrics import preprocess
from a2bench.metrics.base import DistributionMetric, FeatureExtractor, MetricContext
from a2bench.metrics.frechet import frechet_distance_features
from a2bench.metrics.registry import register
from a2bench.metrics.runtime import execution_tag, for_execution, run_batched

WEIGHTS = "i3d-kinetics400"


class I3DExtractor(FeatureExtractor):
    """400-d I3D logits of each clip the protocol cuts from a video."""

    def __init__(self, context: MetricContext, variant: str, clips: Callable[[np.ndarray], np.ndarray],
                 prep_id: str):
        from a2bench.metrics.networks.i3d import load_i3d
        from a2bench.weights.store import file_sha256, resolve

        path = resolve(WEIGHTS, context.weights_dir)
        self.context = context
        self.clips = clips
        self.network = for_execution(load_i3d(path, context.torch_device(), variant=variant), context)
        self._key = f"i3d-{variant}-logits:{prep_id}:{file_sha256(path)}:{execution_tag(context, self.network)}"

    @property
    def key(self) -> str:
        return self._key

    def extract(self, frames: np.ndarray) -> np.ndarray:
        return run_batched(self.network, self.clips(frames), self.context)


class _FVD(DistributionMetric):
    """Shared definition; subclasses pick clips, I3D variant and covariance convention."""

    name = "fvd"
    label = "FVD"
    higher_is_better = False
    weights = (WEIGHTS,)
    variant: ClassVar[str]
    clips: ClassVar[Callable[[np.ndarray], np.ndarray]]
    prep_id: ClassVar[str]
    ddof: ClassVar[int]

    def prepare(self, context: MetricContext) -> None:
        self._extractor = I3DExtractor(context, self.variant, type(self).clips, self.prep_id)

    def extractor(self) -> FeatureExtractor:
        return self._extractor

    def distance(self, pred_features: np.ndarray, gt_features: np.ndarray) -> float:
        return frechet_distance_features(pred_features, gt_features, ddof=self.ddof)


@register("animatex-paper")
class DiscoFVD(_FVD):
    """DisCo's FVD on frame folders: all sliding 16-frame windows."""

    description = "FVD over every 16-frame window (stride 1), I3D logits, PIL bicubic 224, N−1 (DisCo)."
    variant = "disco"
    clips = staticmethod(preprocess.disco_fvd_clips)
    prep_id = preprocess.DISCO_FVD
    ddof = 1


@register("a2bench-v1")
class StyleGANVFVD(_FVD):
    """StyleGAN-V's FVD: one 16-frame clip per video, population covariance."""

    description = "FVD over one 16-frame clip per video, I3D logits, bilinear 224, population covariance."
    variant = "tats"
    clips = staticmethod(preprocess.stylegan_v_clip)
    prep_id = preprocess.STYLEGAN_V_FVD
    ddof = 0
