"""LPIPS through the `lpips` package, with both networks' weights loaded from the verified weights folder.

The protocol declares the trunk (`vgg` or `alex`) and the input range: `[0,1]` feeds ToTensor frames without
`normalize=True`, as DisCo's script does (DisCo#41); `[-1,1]` maps them as the LPIPS authors intend.
Nothing is downloaded (networks/lpips_net.py loads both state_dicts over the package's network).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from a2bench.metrics.base import FrameMetric, MetricContext
from a2bench.metrics.registry import METRICS
from a2bench.metrics.runtime import for_execution

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
        from a2bench.metrics.networks.loading import load_once
        from a2bench.metrics.networks.lpips_net import load_lpips

        backbone, linear = self.resolved
        key = ("lpips", self.params.net, backbone.sha256, linear.sha256, context.torch_device())
        self.model = load_once(key, lambda: for_execution(
            load_lpips(self.params.net, backbone.path, linear.path, context.torch_device()), context))

    def per_frame(self, pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
        """One distance per frame pair: uint8 frames uploaded as they are, scaled to [0,1] on the device."""
        from a2bench.metrics.runtime import forward, upload

        def unit(frames: np.ndarray) -> Any:
            return upload(frames, self.context).permute(0, 3, 1, 2).float() / 255

        distances = forward(self.model, (unit(pred), unit(gt)), self.context,
                            normalize=self.params.input_range == "[-1,1]")
        return distances.reshape(-1).double().cpu().numpy()
