"""Channels-last execution: the memory layout in which CPU convolution and pooling kernels run fastest.

With channels-last weights and inputs oneDNN runs every convolution in that layout and its outputs stay in it,
but `torch.cat` of branch outputs falls back to the standard layout; `keep_layout` restores it, so the pools
after each I3D Inception block (10–20× faster channels-last, bit-identical results) keep the fast path.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def channels_last_format(ndim: int) -> torch.memory_format:
    """The channels-last layout for 4-d (images) or 5-d (clips) tensors."""
    if ndim not in (4, 5):
        raise ValueError(f"channels-last needs 4-d or 5-d tensors, got {ndim}-d")
    return torch.channels_last if ndim == 4 else torch.channels_last_3d


class ChannelsLast(nn.Module):
    """Runs `network` with channels-last convolution weights and channels-last 4-d/5-d tensor inputs.

    Both are needed: whether oneDNN picks the layout from the weights alone depends on the layer's shape.
    """

    def __init__(self, network: nn.Module):
        super().__init__()
        for module in network.modules():
            if isinstance(module, nn.Conv2d | nn.Conv3d):
                weight = module.weight.data
                module.weight.data = weight.contiguous(memory_format=channels_last_format(weight.ndim))
        self.network = network

    def forward(self, *inputs: Any, **options: Any) -> Any:
        return self.network(*(_channels_last(x) for x in inputs), **options)


def _channels_last(value: Any) -> Any:
    if isinstance(value, torch.Tensor) and value.ndim in (4, 5):
        return value.contiguous(memory_format=channels_last_format(value.ndim))
    return value


def keep_layout(output: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """`output` in `like`'s layout when `like` is channels-last (and not also plain contiguous), else unchanged."""
    if like.ndim in (4, 5) and not like.is_contiguous():
        memory_format = channels_last_format(like.ndim)
        if like.is_contiguous(memory_format=memory_format):
            return output.contiguous(memory_format=memory_format)
    return output
