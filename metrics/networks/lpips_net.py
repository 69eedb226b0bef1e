"""lpips.LPIPS built from verified local files (torchvision backbone + v0.1 linear layers), never from a hub."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

from a2bench.errors import A2BenchError
from a2bench.metrics.networks.loading import prepared
from a2bench.weights.store import load_checkpoint

BACKBONES = {"vgg": ("vgg16", "lpips-vgg-lin"), "alex": ("alexnet", "lpips-alex-lin")}  # net → weights names


def load_lpips(net: str, backbone: Path, linear: Path, device: str | torch.device = "cpu") -> torch.nn.Module:
    """LPIPS v0.1 for `net` ('vgg' or 'alex') with the torchvision backbone file and the linear-layer file."""
    import lpips

    if net not in BACKBONES:
        raise ValueError(f"unsupported LPIPS net {net!r}; use one of {sorted(BACKBONES)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torchvision's notice about lpips' `pretrained=` argument
        model = lpips.LPIPS(net=net, version="0.1", pretrained=False, pnet_rand=True, verbose=False)
    features = load_checkpoint(backbone)
    lins = load_checkpoint(linear)
    try:
        model.net.load_state_dict({key: features["features." + key.split(".", 1)[1]] for key in model.net.state_dict()})
        for index, layer in enumerate(model.lins):
            layer.load_state_dict({"model.1.weight": lins[f"lin{index}.model.1.weight"]})
    except (KeyError, RuntimeError) as exc:
        raise A2BenchError(f"weights do not fit LPIPS-{net}: {exc}", path=linear,
                           fix="fetch the backbone and linear-layer files again") from None
    return prepared(model, device)
