"""LPIPS through the `lpips` package, with both networks' weights loaded from the verified weights folder.

animatex-paper: VGG trunk fed [0,1] frames without `normalize=True`, as DisCo's script does (DisCo#41);
a2bench-v1: AlexNet trunk fed [-1,1] frames, as the LPIPS authors intend. Nothing is downloaded
(networks/lpips_net.py loads both state_dicts over the package's randomly initialised network).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from a2bench.metrics.base import FrameMetric, MetricContext
from a2bench.metrics.registry import register
from a2bench.metrics.runtime import batches, exact_inference, for_execution, network_batch_size


class _LPIPS(FrameMetric):
    """Shared frame loop: uint8 → [0,1] float32 like ToTensor, batched, one distance per frame pair."""

    name = "lpips"
    label = "LPIPS"
    higher_is_better = False
    net: ClassVar[str]
    normalize: ClassVar[bool]

    def prepare(self, context: MetricContext) -> None:
        from a2bench.metrics.networks.lpips_net import load_lpips
        from a2bench.weights.store import resolve

        backbone, linear = (resolve(name, context.weights_dir) for name in self.weights)
        self.context = context
        self.model = for_execution(load_lpips(self.net, backbone, linear, context.torch_device()), context)

    def per_frame(self, pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
        import torch

        device = self.context.torch_device()

        def unit(frames: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.ascontiguousarray(frames.transpose(0, 3, 1, 2))).to(device).float() / 255

        values = []
        with exact_inference(self.context):
            for part in batches(len(pred), network_batch_size(self.context)):
                distance = self.model(unit(pred[part]), unit(gt[part]), normalize=self.normalize)
                values.append(distance.reshape(-1).double().cpu().numpy())
        return np.concatenate(values) if values else np.zeros(0)


@register("animatex-paper")
class PaperLPIPS(_LPIPS):
    """DisCo's LPIPS: lpips.LPIPS(net='vgg') on [0,1] frames without normalize (a known input-range slip)."""

    description = "LPIPS-VGG on [0,1] frames fed as if [-1,1] (the DisCo script's call; DisCo#41)."
    weights = ("vgg16", "lpips-vgg-lin")
    net = "vgg"
    normalize = False


@register("a2bench-v1")
class AlexLPIPS(_LPIPS):
    """LPIPS-AlexNet with frames mapped to [-1,1] (normalize=True), the LPIPS authors' recommended form."""

    description = "LPIPS-AlexNet on frames correctly scaled to [-1,1]."
    weights = ("alexnet", "lpips-alex-lin")
    net = "alex"
    normalize = True
