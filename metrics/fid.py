"""FID: Fréchet distance between Inception pool3 features of all predicted and all ground-truth frames.

Both protocols use pytorch-fid's FID Inception (a port of the TF graph that clean-fid's TorchScript
network also ports) and np.cov's N − 1; they differ in the resize in front of it:
animatex-paper = clean-fid "clean" (PIL bicubic in float), a2bench-v1 = pytorch-fid (torch bilinear).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np

from a2bench.metrics import preprocess
from a2bench.metrics.base import DistributionMetric, FeatureExtractor, MetricContext
from a2bench.metrics.frechet import frechet_distance_features
from a2bench.metrics.registry import register
from a2bench.metrics.runtime import batches, execution_tag, run_batched

WEIGHTS = "fid-inception"


class InceptionExtractor(FeatureExtractor):
    """Pool3 features (T, 2048) of every frame, preprocessed one batch of frames at a time."""

    def __init__(self, context: MetricContext, preprocessing: Callable[[np.ndarray], np.ndarray], prep_id: str):
        from a2bench.metrics.networks.inception import load_fid_inception
        from a2bench.weights.store import file_sha256, resolve

        path = resolve(WEIGHTS, context.weights_dir)
        self.context = context
        self.preprocessing = preprocessing
        self.network = load_fid_inception(path, context.torch_device())
        self._key = f"fid-inception-pool3:{prep_id}:{file_sha256(path)}:{execution_tag(context, self.network)}"

    @property
    def key(self) -> str:
        return self._key

    def extract(self, frames: np.ndarray) -> np.ndarray:
        return np.concatenate([run_batched(self.network, self.preprocessing(frames[part]), self.context)
                               for part in batches(len(frames), self.context.batch_size)])


class _FID(DistributionMetric):
    """Shared definition; subclasses pick the preprocessing."""

    name = "fid"
    label = "FID"
    higher_is_better = False
    weights = (WEIGHTS,)
    prep_id: ClassVar[str]
    preprocessing: ClassVar[Callable[[np.ndarray], np.ndarray]]

    def prepare(self, context: MetricContext) -> None:
        self._extractor = InceptionExtractor(context, type(self).preprocessing, self.prep_id)

    def extractor(self) -> FeatureExtractor:
        return self._extractor

    def distance(self, pred_features: np.ndarray, gt_features: np.ndarray) -> float:
        return frechet_distance_features(pred_features, gt_features, ddof=1)


@register("animatex-paper")
class CleanFID(_FID):
    """DisCo's `clean-fid` entry: PIL bicubic float resize to 299, (x − 128)/128."""

    description = "FID over all frames, clean-fid preprocessing (PIL bicubic in float), Inception pool3, N−1."
    prep_id = preprocess.CLEAN_FID
    preprocessing = staticmethod(preprocess.clean_fid_images)


@register("a2bench-v1")
class PytorchFID(_FID):
    """pytorch-fid's pipeline: bilinear F.interpolate to 299 on [0,1], then 2x − 1."""

    description = "FID over all frames, pytorch-fid preprocessing (bilinear resize), Inception pool3, N−1."
    prep_id = preprocess.PYTORCH_FID
    preprocessing = staticmethod(preprocess.pytorch_fid_images)
