"""What each weights file holds: the network a2bench builds from it, how that network's state is laid out in the
file, and the check that a file really holds it.

One declaration per file feeds both `a2bench weights init-random` (which writes random networks in exactly this
layout) and `check_loads_as` (which `weights verify` and `weights fetch` run before they pin the hash of a file
nobody publishes a hash for), so the writer and the check cannot drift apart. The check reads the file with
`torch.load(weights_only=True)`, which restores tensors and containers only and never runs code from the file;
the expected tensor names and shapes come from the network built on PyTorch's "meta" device (no memory, no init).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import torch
from torch import nn

from a2bench.errors import A2BenchError
from a2bench.weights.registry import WeightSpec

COUNTER_SUFFIX = "num_batches_tracked"  # BatchNorm counters: absent from old and converted checkpoints


class WeightsNotLoadable(A2BenchError):
    """A weights file that is not a checkpoint of the network a2bench builds from it."""


@dataclass(frozen=True)
class FileLayout:
    """A weights file's network (`network(device)`), its file content for a network (`to_file`) and the network's
    tensors inside a loaded file (`tensors`, ValueError saying why when there are none)."""

    network: Callable[[str], nn.Module]
    to_file: Callable[[nn.Module], Any]
    tensors: Callable[[Any], Any]

    def build(self, device: str = "cpu") -> nn.Module:
        """The network, its parameters on `device` ("meta": shapes only)."""
        with torch.device(device):
            return self.network(device)


def _state_dict(model: nn.Module) -> Any:
    return model.state_dict()


def _without_batch_counters(model: nn.Module) -> Any:
    """The state without BatchNorm counters, as converted TF graphs and torch-0.2-era checkpoints hold it."""
    return OrderedDict((k, v) for k, v in model.state_dict().items() if not k.endswith(COUNTER_SUFFIX))


def _itself(checkpoint: Any) -> Any:
    return checkpoint


def _resnet3d_file(model: nn.Module) -> Any:
    """A kenshohara 3D-ResNets training checkpoint: DataParallel ('module.'-prefixed) state, arch and optimizer."""
    from a2bench.metrics.networks.resnet3d import ARCH

    optimizer = {"state": {}, "param_groups": [{"lr": 0.1, "momentum": 0.9, "dampening": 0.9,
                                                "weight_decay": 0.001, "nesterov": False,
                                                "params": list(range(len(list(model.parameters()))))}]}
    return {"epoch": 1, "arch": ARCH,
            "state_dict": OrderedDict(("module." + k, v) for k, v in _without_batch_counters(model).items()),
            "optimizer": optimizer}


def _resnet3d_tensors(checkpoint: Any) -> Any:
    from a2bench.metrics.networks.resnet3d import ARCH

    if not isinstance(checkpoint, Mapping) or not isinstance(checkpoint.get("state_dict"), Mapping):
        raise ValueError("it is not a 3D-ResNets checkpoint (no 'state_dict' entry)")
    if checkpoint.get("arch", ARCH) != ARCH:
        raise ValueError(f"it is a {checkpoint['arch']!r} checkpoint, not {ARCH!r}")
    return {key.removeprefix("module."): value for key, value in checkpoint["state_dict"].items()}


def _torchvision(name: str, _device: str) -> nn.Module:
    import torchvision

    return getattr(torchvision.models, name)(weights=None)


def _fid_inception(_device: str) -> nn.Module:
    from a2bench.metrics.networks.inception import FIDInceptionV3

    return FIDInceptionV3()


def _i3d(_device: str) -> nn.Module:
    from a2bench.metrics.networks.i3d import InceptionI3d

    return InceptionI3d("tats")


def _resnet3d(_device: str) -> nn.Module:
    from a2bench.metrics.networks.resnet3d import ResNet3D50

    return ResNet3D50()


def _clip(device: str) -> nn.Module:
    import open_clip

    from a2bench.metrics.networks.clip import CLIP_MODEL

    return open_clip.create_model(CLIP_MODEL, device=device)


def layouts() -> dict[str, FileLayout]:
    """The layout of every weights file that a2bench builds a network from (each network's modules are imported
    only when it is built)."""
    return {
        "vgg16": FileLayout(partial(_torchvision, "vgg16"), _state_dict, _itself),
        "alexnet": FileLayout(partial(_torchvision, "alexnet"), _state_dict, _itself),
        "fid-inception": FileLayout(_fid_inception, _state_dict, _itself),
        "i3d-kinetics400": FileLayout(_i3d, _without_batch_counters, _itself),
        "resnet3d50-kinetics": FileLayout(_resnet3d, _resnet3d_file, _resnet3d_tensors),
        "clip-vit-b-32": FileLayout(_clip, _state_dict, _itself),
    }


def _names(keys: list[str], limit: int = 3) -> str:
    return ", ".join(keys[:limit]) + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def structure_problem(layout: FileLayout, checkpoint: Any) -> str | None:
    """Why a loaded file does not hold the layout's network (missing, unexpected or wrongly shaped tensors), or
    None. BatchNorm counters may be absent, as the network loaders allow."""
    try:
        state = layout.tensors(checkpoint)
    except ValueError as exc:
        return str(exc)
    if not isinstance(state, Mapping):
        return f"it holds a {type(checkpoint).__name__}, not a state_dict of tensors"
    expected = {key: tuple(value.shape) for key, value in layout.build("meta").state_dict().items()}
    missing = [key for key in expected if key not in state and not key.endswith(COUNTER_SUFFIX)]
    unexpected = [str(key) for key in state if key not in expected]
    misshaped = [f"{key} {tuple(state[key].shape) if isinstance(state[key], torch.Tensor) else type(state[key])} "
                 f"(expected {shape})" for key, shape in expected.items()
                 if key in state and not (isinstance(state[key], torch.Tensor) and tuple(state[key].shape) == shape)]
    problems = [f"{len(missing)} tensor(s) missing ({_names(missing)})" if missing else "",
                f"{len(unexpected)} unexpected ({_names(unexpected)})" if unexpected else "",
                f"{len(misshaped)} with the wrong shape ({_names(misshaped)})" if misshaped else ""]
    found = "; ".join(problem for problem in problems if problem)
    return f"its tensors do not fit the network: {found}" if found else None


def first_line(exc: BaseException) -> str:
    """An exception's type and the first line of its message: torch's load errors run to pages."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def read_checkpoint(path: Path, fix: str) -> Any:
    """`torch.load(path, weights_only=True)` on the CPU; WeightsNotLoadable naming the file when it is no such
    checkpoint (random bytes, a truncated download, pickled code)."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises pickle, zip, EOF and runtime errors for files that are not checkpoints
        raise WeightsNotLoadable(f"is not a loadable PyTorch checkpoint ({first_line(exc)})", path=path,
                                 fix=fix) from None


def check_loads_as(spec: WeightSpec, path: Path, fix: str) -> None:
    """WeightsNotLoadable unless the file at `path` holds exactly the tensors of the network a2bench builds for
    `spec`. Only files with a published full sha256 (the lpips linear layers) need no declared layout."""
    layout = layouts().get(spec.name)
    if layout is None:
        if spec.sha256:
            return
        raise WeightsNotLoadable(f"a2bench declares no network layout for {spec.name}, so it cannot check what the "
                                 "file holds", path=path, fix="report this; a2bench.weights.layout lists the layouts")
    problem = structure_problem(layout, read_checkpoint(path, fix))
    if problem:
        raise WeightsNotLoadable(f"is not a {spec.name} checkpoint ({spec.format}): {problem}", path=path, fix=fix)
