"""CLIP image-embedding similarities: identity (reference vs each generated frame) and temporal consistency.

open_clip ViT-B-32 with the laion2b_s34b_b79k weights, loaded from the verified local file (never from a
hub, see networks/clip.py); frames go through open_clip's eval transform (shortest side bicubic to 224,
centre crop, CLIP mean/std). Values are plain cosines in [-1, 1] (no ×100 or clipping as in CLIPScore).
Both metrics declare the same extractor, so each frame is embedded once per case.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from a2bench.metrics import preprocess
from a2bench.metrics.base import (
    PAIR_MEAN,
    CaseFrames,
    CaseMetric,
    DeclaredExtractor,
    ExtractorSpec,
    MetricContext,
    MissingInput,
)
from a2bench.metrics.registry import METRICS

WEIGHTS = "clip-vit-b-32"


def transformed(transform: Callable[[Any], Any], images: np.ndarray) -> np.ndarray:
    """open_clip's eval transform of uint8 RGB images (N, H, W, 3): float32 (N, 3, 224, 224)."""
    import torch
    from PIL import Image

    return torch.stack([transform(Image.fromarray(image)) for image in images]).numpy()


class ClipImageExtractor(DeclaredExtractor):
    """Unit-norm CLIP image embeddings (float64, (N, 512)) of uint8 RGB images (N, H, W, 3)."""

    def load(self, path: Path, context: MetricContext) -> Any:
        """(model, open_clip's eval transform)."""
        from a2bench.metrics.networks.clip import load_clip

        return load_clip(path, context.torch_device())

    def host_function(self) -> Callable[[np.ndarray], np.ndarray]:
        return partial(transformed, self.network[1])

    def run(self, batch: Any) -> Any:
        return self.network[0].encode_image(batch)

    def rows(self, outputs: np.ndarray) -> np.ndarray:
        return outputs / np.linalg.norm(outputs, axis=1, keepdims=True)


CLIP_SPEC = ExtractorSpec(ClipImageExtractor, "open-clip-ViT-B-32-laion2b_s34b_b79k", WEIGHTS,
                          preprocess.OPEN_CLIP_EVAL)


class _ClipMetric(CaseMetric):
    """Reads the shared CLIP embeddings."""

    higher_is_better = True

    def extractor_specs(self) -> tuple[ExtractorSpec, ...]:
        return (CLIP_SPEC,)

    @property
    def embedder(self) -> DeclaredExtractor:
        return self.extractors[CLIP_SPEC]


@METRICS.register
class ClipIdentity(_ClipMetric):
    """Cosine similarity between the reference image and each generated frame: is the character kept?"""

    kind = "clip_identity"
    label = "CLIP-I"

    def describe(self) -> str:
        return "CLIP ViT-B-32 cosine similarity of each generated frame to the reference image."

    def case_values(self, case: CaseFrames) -> np.ndarray:
        reference = case.features(self.embedder, "reference")[0]
        return case.features(self.embedder, "pred") @ reference


@METRICS.register
class ClipTemporal(_ClipMetric):
    """Cosine similarity of consecutive generated frames: does the video flicker or drift abruptly?"""

    kind = "clip_temporal"
    label = "CLIP-T"
    reduction = PAIR_MEAN

    def describe(self) -> str:
        return "CLIP ViT-B-32 cosine similarity between consecutive generated frames."

    def case_values(self, case: CaseFrames) -> np.ndarray:
        if len(case.pred) < 2:
            raise MissingInput("clip_temporal needs at least two frames", path=case.case_id)
        embeddings = case.features(self.embedder, "pred")
        return np.sum(embeddings[1:] * embeddings[:-1], axis=1)
