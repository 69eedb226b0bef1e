"""Inception-I3D in the piergiaj/TATS layout (the TF-Hub i3d-kinetics-400 graph), with TF "SAME" padding.

Input (B, 3, T, 224, 224) in [-1, 1]; output the 400 Kinetics logits per time step of the last pooling,
averaged over time, (B, 400): the feature FVD uses. Two variants share the weights file:
- "tats" (TATS, content-debiased-fvd): BatchNorm eps 1e-5, final average pool over 2 time steps; needs T >= 9.
- "disco" (DisCo's copy): BatchNorm eps 1e-3, final pool over 1 time step; any T >= 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from a2bench.errors import A2BenchError
from a2bench.metrics.networks.layout import keep_layout
from a2bench.metrics.networks.loading import load_state_dict_lenient, prepared
from a2bench.weights.store import load_checkpoint

INPUT_SIZE = 224
CLASSES = 400
VARIANTS: dict[str, tuple[float, int]] = {"tats": (1e-5, 2), "disco": (1e-3, 1)}  # (BatchNorm eps, pooled frames)
TIME_STRIDE = 8  # three stride-2 stages in time (Conv3d_1a, MaxPool3d_4a, MaxPool3d_5a)

Triple = tuple[int, int, int]


def same_padding(size: Sequence[int], kernel: Triple, stride: Triple) -> tuple[int, ...]:
    """F.pad amounts (last dim first) for TF "SAME": output ceil(size/stride), the odd pixel padded at the end."""
    pads: list[int] = []
    for n, k, s in zip(reversed(size), reversed(kernel), reversed(stride), strict=True):
        total = max(k - s, 0) if n % s == 0 else max(k - n % s, 0)
        pads += [total // 2, total - total // 2]
    return tuple(pads)


def min_frames(variant: str) -> int:
    """The shortest clip the variant accepts: the time axis must still span the final pool."""
    pooled = VARIANTS[variant][1]
    return (pooled - 1) * TIME_STRIDE + 1


class Unit3D(nn.Module):
    """Conv3d (no padding of its own) after dynamic SAME padding, optional BatchNorm, optional ReLU."""

    def __init__(self, cin: int, cout: int, kernel: Triple = (1, 1, 1), stride: Triple = (1, 1, 1),
                 bn_eps: float | None = 1e-5, relu: bool = True):
        super().__init__()
        self.kernel, self.stride, self.relu = kernel, stride, relu
        self.conv3d = nn.Conv3d(cin, cout, kernel, stride=stride, bias=bn_eps is None)
        self.bn = nn.BatchNorm3d(cout, eps=bn_eps) if bn_eps is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv3d(F.pad(x, same_padding(x.shape[2:], self.kernel, self.stride)))
        if self.bn is not None:
            x = self.bn(x)
        return F.relu(x) if self.relu else x


class MaxPool3dSame(nn.Module):
    """Max pool after SAME zero padding (exact: every input to it is a ReLU output, >= 0)."""

    def __init__(self, kernel: Triple, stride: Triple):
        super().__init__()
        self.kernel, self.stride = kernel, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.max_pool3d(F.pad(x, same_padding(x.shape[2:], self.kernel, self.stride)), self.kernel, self.stride)


class InceptionModule(nn.Module):
    """Four branches: 1x1; 1x1 → 3x3x3; 1x1 → 3x3x3; 3x3x3 max pool → 1x1."""

    def __init__(self, cin: int, widths: Sequence[int], bn_eps: float):
        super().__init__()
        self.b0 = Unit3D(cin, widths[0], bn_eps=bn_eps)
        self.b1a = Unit3D(cin, widths[1], bn_eps=bn_eps)
        self.b1b = Unit3D(widths[1], widths[2], (3, 3, 3), bn_eps=bn_eps)
        self.b2a = Unit3D(cin, widths[3], bn_eps=bn_eps)
        self.b2b = Unit3D(widths[3], widths[4], (3, 3, 3), bn_eps=bn_eps)
        self.b3a = MaxPool3dSame((3, 3, 3), (1, 1, 1))
        self.b3b = Unit3D(cin, widths[5], bn_eps=bn_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = [self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)), self.b3b(self.b3a(x))]
        return keep_layout(torch.cat(branches, 1), x)


MIXED: dict[str, tuple[int, tuple[int, ...]]] = {
    "Mixed_3b": (192, (64, 96, 128, 16, 32, 32)),
    "Mixed_3c": (256, (128, 128, 192, 32, 96, 64)),
    "Mixed_4b": (480, (192, 96, 208, 16, 48, 64)),
    "Mixed_4c": (512, (160, 112, 224, 24, 64, 64)),
    "Mixed_4d": (512, (128, 128, 256, 24, 64, 64)),
    "Mixed_4e": (512, (112, 144, 288, 32, 64, 64)),
    "Mixed_4f": (528, (256, 160, 320, 32, 128, 128)),
    "Mixed_5b": (832, (256, 160, 320, 32, 128, 128)),
    "Mixed_5c": (832, (384, 192, 384, 48, 128, 128)),
}


class InceptionI3d(nn.Module):
    """I3D up to the time-averaged logits; module names match the piergiaj/TATS state_dict keys."""

    def __init__(self, variant: str = "tats"):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"unknown I3D variant {variant!r}; use one of {sorted(VARIANTS)}")
        self.variant = variant
        eps, self.pool_frames = VARIANTS[variant]
        self.Conv3d_1a_7x7 = Unit3D(3, 64, (7, 7, 7), (2, 2, 2), bn_eps=eps)
        self.MaxPool3d_2a_3x3 = MaxPool3dSame((1, 3, 3), (1, 2, 2))
        self.Conv3d_2b_1x1 = Unit3D(64, 64, bn_eps=eps)
        self.Conv3d_2c_3x3 = Unit3D(64, 192, (3, 3, 3), bn_eps=eps)
        self.MaxPool3d_3a_3x3 = MaxPool3dSame((1, 3, 3), (1, 2, 2))
        self.Mixed_3b = InceptionModule(*MIXED["Mixed_3b"], eps)
        self.Mixed_3c = InceptionModule(*MIXED["Mixed_3c"], eps)
        self.MaxPool3d_4a_3x3 = MaxPool3dSame((3, 3, 3), (2, 2, 2))
        self.Mixed_4b = InceptionModule(*MIXED["Mixed_4b"], eps)
        self.Mixed_4c = InceptionModule(*MIXED["Mixed_4c"], eps)
        self.Mixed_4d = InceptionModule(*MIXED["Mixed_4d"], eps)
        self.Mixed_4e = InceptionModule(*MIXED["Mixed_4e"], eps)
        self.Mixed_4f = InceptionModule(*MIXED["Mixed_4f"], eps)
        self.MaxPool3d_5a_2x2 = MaxPool3dSame((2, 2, 2), (2, 2, 2))
        self.Mixed_5b = InceptionModule(*MIXED["Mixed_5b"], eps)
        self.Mixed_5c = InceptionModule(*MIXED["Mixed_5c"], eps)
        self.logits = Unit3D(1024, CLASSES, bn_eps=None, relu=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 5 or x.shape[1] != 3 or x.shape[3:] != (INPUT_SIZE, INPUT_SIZE):
            raise ValueError(f"I3D expects (B, 3, T, {INPUT_SIZE}, {INPUT_SIZE}) in [-1, 1], got {tuple(x.shape)}")
        frames, needed = x.shape[2], min_frames(self.variant)
        if frames < needed:
            raise A2BenchError(f"I3D ({self.variant}) needs clips of at least {needed} frames, got {frames}",
                               fix=f"use clips of {needed} or more frames (16 is the FVD convention)")
        for module in self.children():
            if module is self.logits:
                break
            x = module(x)
        x = F.avg_pool3d(x, (self.pool_frames, 7, 7), stride=1)
        return self.logits(x).flatten(3).mean(dim=(2, 3))


def load_i3d(path: Path, device: str | torch.device = "cpu", variant: str = "tats") -> InceptionI3d:
    """I3D with the verified weights at `path` (i3d_pretrained_400.pt), in eval mode on `device`."""
    model = InceptionI3d(variant)
    load_state_dict_lenient(model, load_checkpoint(path), path)
    return prepared(model, device)
