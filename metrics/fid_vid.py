"""FID-VID: Fréchet distance between per-video 3D ResNet-50 features, as DisCo's `fid-vid` (FVD-3DRN50).

Each video: PIL-bicubic 112×112 frames minus the Kinetics mean, cut into 16-frame segments (the last
padded with copies of the final frame), one 2048-d feature per segment, averaged: one row per video.
Fréchet distance with np.cov's N − 1. Same definition under both protocols.
"""

from __future__ import annotations

import numpy as np

from a2bench.metrics import preprocess
from a2bench.metrics.base import DistributionMetric, FeatureExtractor, MetricContext
from a2bench.metrics.frechet import frechet_distance_features
from a2bench.metrics.registry import register
from a2bench.metrics.runtime import execution_tag, run_batched

WEIGHTS = "resnet3d50-kinetics"


class ResNet3DExtractor(FeatureExtractor):
    """The mean 3D ResNet-50 feature over a video's 16-frame segments: (1, 2048)."""

    def __init__(self, context: MetricContext):
        from a2bench.metrics.networks.resnet3d import load_resnet3d50
        from a2bench.weights.store import file_sha256, resolve

        path = resolve(WEIGHTS, context.weights_dir)
        self.context = context
        self.network = load_resnet3d50(path, context.torch_device())
        execution = execution_tag(context, self.network)
        self._key = f"resnet3d50-pool:{preprocess.DISCO_FID_VID}:{file_sha256(path)}:{execution}"

    @property
    def key(self) -> str:
        return self._key

    def extract(self, frames: np.ndarray) -> np.ndarray:
        segments = preprocess.disco_fid_vid_segments(frames)
        return run_batched(self.network, segments, self.context).mean(axis=0, keepdims=True)


@register()
class FIDVID(DistributionMetric):
    """DisCo's FID-VID over one averaged 3D ResNet-50 feature per video."""

    name = "fid_vid"
    label = "FID-VID"
    higher_is_better = False
    description = "Fréchet distance of per-video 3D ResNet-50 (Kinetics) features, DisCo's FVD-3DRN50."
    weights = (WEIGHTS,)

    def prepare(self, context: MetricContext) -> None:
        self._extractor = ResNet3DExtractor(context)

    def extractor(self) -> FeatureExtractor:
        return self._extractor

    def distance(self, pred_features: np.ndarray, gt_features: np.ndarray) -> float:
        return frechet_distance_features(pred_features, gt_features, ddof=1)
