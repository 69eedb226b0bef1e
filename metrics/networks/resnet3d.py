"""kenshohara's 3D ResNet-50 (Kinetics-400, shortcut B) as DisCo's FID-VID uses it: the 2048-d average-pooled
features of a 16-frame 112x112 clip. Input (B, 3, 16, 112, 112) on the 0-255 scale minus the per-channel
ActivityNet mean (see MEAN), no division by a standard deviation. `fc` loads but is never applied."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from a2bench.errors import A2BenchError
from a2bench.metrics.networks.loading import load_state_dict_lenient, prepared
from a2bench.weights.store import load_checkpoint

SAMPLE_SIZE = 112
SAMPLE_DURATION = 16
FEATURES = 2048
MEAN = (114.7748, 107.7354, 99.4750)  # RGB, 0-255 scale
ARCH = "resnet-50"


class Bottleneck(nn.Module):
    """1x1x1 → 3x3x3 (carrying the stride) → 1x1x1 ×4, plus the (projected) identity."""

    def __init__(self, cin: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv3d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm3d(planes)
        self.conv2 = nn.Conv3d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm3d(planes)
        self.conv3 = nn.Conv3d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm3d(planes * 4)
        self.downsample = None
        if stride != 1 or cin != planes * 4:
            self.downsample = nn.Sequential(nn.Conv3d(cin, planes * 4, 1, stride=stride, bias=False),
                                            nn.BatchNorm3d(planes * 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


def _layer(cin: int, planes: int, blocks: int, stride: int) -> nn.Sequential:
    return nn.Sequential(Bottleneck(cin, planes, stride), *(Bottleneck(planes * 4, planes) for _ in range(blocks - 1)))


class ResNet3D50(nn.Module):
    """3D ResNet-50, layers (3, 4, 6, 3); forward gives the flattened (1, 4, 4) average pool: (B, 2048)."""

    def __init__(self, num_classes: int = 400):
        super().__init__()
        self.conv1 = nn.Conv3d(3, 64, 7, stride=(1, 2, 2), padding=3, bias=False)
        self.bn1 = nn.BatchNorm3d(64)
        self.layer1 = _layer(64, 64, 3, 1)
        self.layer2 = _layer(256, 128, 4, 2)
        self.layer3 = _layer(512, 256, 6, 2)
        self.layer4 = _layer(1024, 512, 3, 2)
        self.fc = nn.Linear(FEATURES, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expected = (3, SAMPLE_DURATION, SAMPLE_SIZE, SAMPLE_SIZE)
        if x.ndim != 5 or x.shape[1:] != expected:
            raise ValueError(f"3D ResNet-50 expects (B, {', '.join(map(str, expected))}), got {tuple(x.shape)}")
        x = F.max_pool3d(F.relu(self.bn1(self.conv1(x))), kernel_size=3, stride=2, padding=1)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return F.avg_pool3d(x, (1, 4, 4), stride=1).flatten(1)


def load_resnet3d50(path: Path, device: str | torch.device = "cpu") -> ResNet3D50:
    """The 3D ResNet-50 with the verified kenshohara checkpoint at `path`, in eval mode on `device`."""
    checkpoint = load_checkpoint(path)
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise A2BenchError("not a 3D-ResNets checkpoint (no 'state_dict')", path=path, fix="fetch the file again")
    if checkpoint.get("arch", ARCH) != ARCH:
        raise A2BenchError(f"checkpoint is a {checkpoint['arch']!r}, not {ARCH!r}", path=path,
                           fix="fetch the file again")
    state = {key.removeprefix("module."): value for key, value in checkpoint["state_dict"].items()}
    model = ResNet3D50()
    load_state_dict_lenient(model, state, path)
    return prepared(model, device)
