"""The open_clip model of the CLIP metrics, built from a verified local checkpoint (never from a hub)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from a2bench.weights.layout import WeightsNotLoadable, first_line
from a2bench.weights.store import verify_path

CLIP_MODEL = "ViT-B-32"
CLIP_PRETRAINED_TAG = "laion2b_s34b_b79k"  # the open_clip tag whose file the registry fetches


def load_clip(path: Path, device: str | torch.device = "cpu") -> tuple[torch.nn.Module, Callable[[Any], torch.Tensor]]:
    """(model in eval mode, image preprocessing) for the verified checkpoint at `path`."""
    import open_clip

    verify_path(path)
    try:
        model, _, preprocess = open_clip.create_model_and_transforms(CLIP_MODEL, pretrained=str(path), device=device,
                                                                     weights_only=True)
    except Exception as exc:  # open_clip passes on torch's errors for a file that holds no such model
        raise WeightsNotLoadable(f"does not load as open_clip {CLIP_MODEL} ({first_line(exc)})", path=path,
                                 fix="delete it and run `a2bench weights fetch clip-vit-b-32`") from None
    return model.eval().requires_grad_(False), preprocess
