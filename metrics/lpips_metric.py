"""LPIPS through the `lpips` package, with both networks' weights loaded from the verified weights folder.

The protocol declares the trunk (`vgg` or `alex`) and the input range: `[0,1]` feeds ToTensor frames without
`normalize=True`, as DisCo's script does (DisCo#41); `[-1,1]` maps them as the LPIPS authors intend.
Nothing is downloaded (networks/lpips_net.py loads both state_dicts over the package's network).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from a2bench.metrics.base import FrameMetric, MetricContext
from a2bench.metrics.registry import METRICS
from a2bench.metrics.runtime import batches, exact_inference, for_execution, network_batch_size

TRUNK_WEIGHTS = {"vgg": ("vgg16", "lpips-vgg-lin"), "alex": ("alexnet", "lpips-alex-lin")}


@dataclass(frozen=True)
class LPIPSParams:
    net: Literal["vgg", "alex"] = "vgg"
    input_range: Literal["[0,1]", "[-1,1]"] = "[-1,1]"
    version: str = "0.1"


@METRICS.register
class LPIPS(FrameMetric):
    """One LPIPS distance per frame pair: uint8 → [0,1] float32 like ToTensor, optionally mapped to [-1,1]."""

    kind = "lpips"
    label = "LPIPS"
    higher_is_better = False
    Params = LPIPSParams

    def describe(self) -> str:
        p = self.params
        slip = " fed as if [-1,1] (the DisCo script's call; DisCo#41)" if p.input_range == "[0,1]" else ""
        return f"LPIPS v{p.version}-{p.net.upper() if p.net == 'vgg' else 'AlexNet'} on {p.input_range} frames{slip}."

    def own_weights(self) -> tuple[str, ...]:
        return TRUNK_WEIGHTS[self.params.net]

    def load(self, context: MetricContext) -> None:
        from a2bench.metrics.networks.lpips_net import load_lpips

        backbone, linear = (weights.path for weights in self.resolved)
        self.model = for_execution(load_lpips(self.params.net, backbone, linear, context.torch_device()), context)

    def per_frame(self, pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
        import torch

        device = self.context.torch_device()

        def unit(frames: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.ascontiguousarray(frames.transpose(0, 3, 1, 2))).to(device).float() / 255

        normalize = self.params.input_range == "[-1,1]"
        values = []
        with exact_inference(self.context):
            for part in batches(len(pred), network_batch_size(self.context)):
                distance = self.model(unit(pred[part]), unit(gt[part]), normalize=normalize)
                values.append(distance.reshape(-1).double().cpu().numpy())
        return np.concatenate(values) if values else np.zeros(0)
