"""CLIP image-embedding similarities: identity (reference vs each generated frame) and temporal consistency.

open_clip ViT-B-32 with the laion2b_s34b_b79k weights, loaded from the verified local file (never from a
hub, see networks/clip.py); frames go through open_clip's eval transform (shortest side bicubic to 224,
centre crop, CLIP mean/std). Values are plain cosines in [-1, 1] (no ×100 or clipping as in CLIPScore).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from a2bench.metrics.base import CaseFrames, CaseMetric, MetricContext, MissingInput
from a2bench.metrics.registry import register
from a2bench.metrics.runtime import batches, exact_inference, network_batch_size

WEIGHTS = "clip-vit-b-32"


@lru_cache(maxsize=2)
def _load(path: str, sha256: str, device: str) -> tuple[Any, Any]:
    """Model and eval transform, loaded once per (file, content, device): both CLIP metrics share them."""
    from a2bench.metrics.networks.clip import load_clip

    return load_clip(Path(path), device)


class ClipEmbedder:
    """Unit-norm CLIP image embeddings (float64, (N, 512)) of uint8 RGB images (N, H, W, 3)."""

    def __init__(self, context: MetricContext):
        from a2bench.weights.store import file_sha256, resolve

        path = resolve(WEIGHTS, context.weights_dir)
        self.context = context
        self.model, self.transform = _load(str(path), file_sha256(path), context.torch_device())

    def __call__(self, images: np.ndarray) -> np.ndarray:
        import torch
        from PIL import Image

        device = self.context.torch_device()
        rows: list[Any] = []
        with exact_inference(self.context):
            for part in batches(len(images), network_batch_size(self.context)):
                batch = torch.stack([self.transform(Image.fromarray(image)) for image in images[part]]).to(device)
                rows.append(self.model.encode_image(batch).double().cpu().numpy())
        embeddings = np.concatenate(rows)
        return embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)


class _ClipMetric(CaseMetric):
    """Loads the shared embedder once per metric instance."""

    higher_is_better = True
    weights = (WEIGHTS,)

    def prepare(self, context: MetricContext) -> None:
        self.embed = ClipEmbedder(context)


@register()
class ClipIdentity(_ClipMetric):
    """Cosine similarity between the reference image and each generated frame: is the character kept?"""

    name = "clip_identity"
    label = "CLIP-I"
    description = "CLIP ViT-B-32 cosine similarity of each generated frame to the reference image."

    def case_values(self, case: CaseFrames) -> np.ndarray:
        if case.reference is None:
            raise MissingInput("clip_identity needs the case's reference image", path=case.case_id,
                               fix="pass --ref with one <case>.png per video")
        reference = self.embed(case.reference[None])[0]
        return self.embed(case.pred) @ reference


@register()
class ClipTemporal(_ClipMetric):
    """Cosine similarity of consecutive generated frames: does the video flicker or drift abruptly?"""

    name = "clip_temporal"
    label = "CLIP-T"
    description = "CLIP ViT-B-32 cosine similarity between consecutive generated frames."

    def case_values(self, case: CaseFrames) -> np.ndarray:
        if len(case.pred) < 2:
            raise MissingInput("clip_temporal needs at least two frames", path=case.case_id)
        embeddings = self.embed(case.pred)
        return np.sum(embeddings[1:] * embeddings[:-1], axis=1)
