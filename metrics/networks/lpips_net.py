"""lpips.LPIPS built from verified local files (torchvision backbone + v0.1 linear layers), never from a hub.

The network is built on the meta device, so none of torchvision's VGG16/AlexNet (classifier included, 89 % of
VGG16's parameters, never used by LPIPS) is allocated or randomly initialised only to be overwritten; the
verified tensors are then assigned in place. The scaling layer's two constant buffers are created by lpips
with the legacy tensor constructor, on the CPU, whatever the default device.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

from a2bench.errors import A2BenchError
from a2bench.metrics.networks.loading import prepared
from a2bench.weights.store import load_checkpoint

NETS = ("vgg", "alex")


def load_lpips(net: str, backbone: Path, linear: Path, device: str | torch.device = "cpu") -> torch.nn.Module:
    """LPIPS v0.1 for `net` ('vgg' or 'alex') with the torchvision backbone file and the linear-layer file."""
    import lpips

    if net not in NETS:
        raise ValueError(f"unsupported LPIPS net {net!r}; use one of {NETS}")
    with warnings.catch_warnings(), torch.device("meta"):
        warnings.simplefilter("ignore", UserWarning)  # torchvision's notice about lpips' `pretrained=` argument
        model = lpips.LPIPS(net=net, version="0.1", pretrained=False, pnet_rand=True, verbose=False)
    features = load_checkpoint(backbone)
    lins = load_checkpoint(linear)
    try:
        model.net.load_state_dict({key: features["features." + key.split(".", 1)[1]] for key in model.net.state_dict()},
                                  assign=True)
        for index, layer in enumerate(model.lins):
            layer.load_state_dict({"model.1.weight": lins[f"lin{index}.model.1.weight"]}, assign=True)
    except (KeyError, RuntimeError) as exc:
        raise A2BenchError(f"weights do not fit LPIPS-{net}: {exc}", path=linear,
                           fix="fetch the backbone and linear-layer files again") from None
    unloaded = [name for name, tensor in (*model.named_parameters(), *model.named_buffers()) if tensor.is_meta]
    if unloaded:
        raise A2BenchError(f"weights leave LPIPS-{net} tensors unset: {unloaded[:3]}", path=backbone,
                           fix="fetch the backbone and linear-layer files again")
    return prepared(model, device)
