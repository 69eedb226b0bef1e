"""`a2bench weights init-random`: random-initialised weights files in exactly the formats of the real ones, for
testing without the real weights. Every file written is listed (with its seed and sha256) in the folder's
uncalibrated.json, which marks anything computed with it as uncalibrated.

Default initialisations make poor feature networks (an Inception with torchvision's default init and untouched
BatchNorm statistics gave an FID of about 1e-13 between two different video sets). Here convolutions are Kaiming-normal
and every BatchNorm's running statistics are set, layer by layer in eval mode, to the statistics of its input on
synthetic structured images (gradients, stripes, blobs, checkerboards, noise), so each normalised activation has
zero mean and unit variance on such images and the features keep depending on the input.
"""

from __future__ import annotations

import math
import os
import shutil
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from a2bench.atomic import atomic_write
from a2bench.errors import A2BenchError
from a2bench.weights.layout import FileLayout, layouts
from a2bench.weights.registry import WEIGHTS, WeightSpec, get_spec
from a2bench.weights.store import (
    check_hash,
    file_sha256,
    record_random_files,
    require_test_folder,
    uncalibrated_files,
)

# ---------------------------------------------------------------- synthetic inputs


def _grid(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    axis = torch.linspace(0.0, 1.0, size)
    return torch.meshgrid(axis, axis, indexing="ij")


def _pattern(kind: int, size: int, generator: torch.Generator) -> torch.Tensor:
    """One (3, size, size) image in [0, 1]: gradient, stripes, blobs, checkerboard or smoothed noise."""
    y, x = _grid(size)

    def rand(*shape: int) -> torch.Tensor:
        return torch.rand(*shape, generator=generator)

    colours = rand(2, 3, 1, 1)
    if kind == 0:
        angle = rand(1) * 2 * math.pi
        t = (x * torch.cos(angle) + y * torch.sin(angle)).clamp(-1, 1) * 0.5 + 0.5
        return colours[0] * (1 - t) + colours[1] * t
    if kind == 1:
        angle, frequency, phase = rand(1) * math.pi, 2 + rand(1) * 14, rand(3, 1, 1) * 2 * math.pi
        wave = torch.sin(2 * math.pi * frequency * (x * torch.cos(angle) + y * torch.sin(angle)) + phase)
        return colours[0] * 0.5 + 0.5 * colours[1] * wave.clamp(-1, 1) * 0.5 + 0.25
    if kind == 2:
        image = colours[0] * 0.3
        for _ in range(6):
            cy, cx, radius = rand(1), rand(1), 0.03 + rand(1) * 0.2
            blob = torch.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * radius**2))
            image = image + rand(3, 1, 1) * blob
        return image.clamp(0, 1)
    if kind == 3:
        cells = int(2 + rand(1).item() * 14)
        board = ((x * cells).floor() + (y * cells).floor()) % 2
        return colours[0] * board + colours[1] * (1 - board)
    coarse = rand(3, 1 + int(rand(1).item() * 31), 1 + int(rand(1).item() * 31))
    smooth = nn.functional.interpolate(coarse[None], size=(size, size), mode="bilinear", align_corners=False)[0]
    return (0.8 * smooth + 0.2 * rand(3, size, size)).clamp(0, 1)


def synthetic_images(count: int, size: int, seed: int) -> torch.Tensor:
    """(count, 3, size, size) structured images in [0, 1], cycling through the five pattern kinds."""
    generator = torch.Generator().manual_seed(seed)
    return torch.stack([_pattern(i % 5, size, generator) for i in range(count)])


def synthetic_videos(count: int, frames: int, size: int, seed: int) -> torch.Tensor:
    """(count, 3, frames, size, size) clips in [0, 1]: a structured pattern drifting, with flicker noise."""
    generator = torch.Generator().manual_seed(seed)
    margin = size // 4
    clips = []
    for index in range(count):
        canvas = _pattern(index % 5, size + 2 * margin, generator)
        vy, vx = (torch.rand(2, generator=generator) * 2 - 1) * margin / max(frames - 1, 1)
        frames_ = []
        for t in range(frames):
            top, left = int(margin + vy * t), int(margin + vx * t)
            frame = canvas[:, top:top + size, left:left + size]
            frames_.append((frame + 0.03 * torch.randn(frame.shape, generator=generator)).clamp(0, 1))
        clips.append(torch.stack(frames_, dim=1))
    return torch.stack(clips)


# ---------------------------------------------------------------- initialisation


def kaiming_init(model: nn.Module) -> None:
    """Kaiming-normal (fan-in, ReLU) convolutions with zero bias; BatchNorm affine as identity."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d | nn.Conv3d):
            nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d | nn.BatchNorm3d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)


@torch.no_grad()
def calibrate_batchnorm(model: nn.Module, inputs: torch.Tensor, run: Callable[[torch.Tensor], Any]) -> None:
    """Set each BatchNorm's running mean/variance to those of its actual input, in execution order and eval
    mode, so later layers see the already-calibrated earlier ones."""

    def set_statistics(module: nn.Module, args: tuple[torch.Tensor, ...]) -> None:
        dims = [0, *range(2, args[0].ndim)]
        module.running_mean.copy_(args[0].mean(dim=dims))
        module.running_var.copy_(args[0].var(dim=dims, unbiased=False))

    model.eval()
    hooks = [m.register_forward_pre_hook(set_statistics) for m in model.modules()
             if isinstance(m, nn.BatchNorm2d | nn.BatchNorm3d)]
    try:
        run(inputs)
    finally:
        for hook in hooks:
            hook.remove()


# ---------------------------------------------------------------- one builder per weights file


def _kaiming(layout: FileLayout, seed: int) -> Any:
    torch.manual_seed(seed)
    model = layout.build()
    kaiming_init(model)
    return layout.to_file(model)


def _fid_inception(layout: FileLayout, seed: int) -> Any:
    from a2bench.metrics.networks.inception import INPUT_SIZE

    torch.manual_seed(seed)
    model = layout.build()
    kaiming_init(model)
    calibrate_batchnorm(model, synthetic_images(10, INPUT_SIZE, seed) * 2 - 1, model)
    return layout.to_file(model)


def _i3d(layout: FileLayout, seed: int) -> Any:
    from a2bench.metrics.networks.i3d import INPUT_SIZE

    torch.manual_seed(seed)
    model = layout.build()
    kaiming_init(model)
    calibrate_batchnorm(model, synthetic_videos(2, 9, INPUT_SIZE, seed) * 2 - 1, model)
    return layout.to_file(model)  # TATS converted the TF graph: no counters, gamma = 1


def _resnet3d(layout: FileLayout, seed: int) -> Any:
    from a2bench.metrics.networks.resnet3d import MEAN, SAMPLE_DURATION, SAMPLE_SIZE

    torch.manual_seed(seed)
    model = layout.build()
    kaiming_init(model)
    clips = synthetic_videos(4, SAMPLE_DURATION, SAMPLE_SIZE, seed) * 255 - torch.tensor(MEAN).view(1, 3, 1, 1, 1)
    calibrate_batchnorm(model, clips, model)
    return layout.to_file(model)  # a torch 0.2-era DataParallel checkpoint


def _clip(layout: FileLayout, seed: int) -> Any:
    torch.manual_seed(seed)
    return layout.to_file(layout.build())


BUILDERS: dict[str, Callable[[FileLayout, int], Any]] = {
    "vgg16": _kaiming, "alexnet": _kaiming, "fid-inception": _fid_inception, "i3d-kinetics400": _i3d,
    "resnet3d50-kinetics": _resnet3d, "clip-vit-b-32": _clip}


def file_seed(seed: int, name: str) -> int:
    """The seed of one file: independent of which other files are written in the same call."""
    return (seed * 1_000_003 + zlib.crc32(name.encode())) % (2**63)


def _copy_package_file(spec: WeightSpec, target: Path) -> None:
    from importlib import resources

    package, inner = spec.package_file or ("", "")
    atomic_write(target, resources.files(package).joinpath(inner).read_bytes())
    check_hash(spec, target.parent, file_sha256(target))


def _require_replaceable(target: Path, written_sha256: str | None) -> None:
    """Refuse to replace a file unless it holds what init-random writes there (`written_sha256`: the sha256 it
    recorded for a random file, the published one of a copied lpips file): a user's file is never overwritten."""
    if target.exists() and not (target.is_file() and file_sha256(target) == written_sha256):
        raise A2BenchError("refusing to overwrite weights that init-random did not write", path=target,
                           fix="choose another --dir for random weights")


def _save(spec: WeightSpec, target: Path, content: Any) -> None:
    staging = target.with_name(f".init-random.{os.getpid()}")
    staging.mkdir(exist_ok=True)
    try:  # saved under its own name: torch.save records it inside the archive, so bytes depend on it
        torch.save(content, staging / spec.filename)
        os.replace(staging / spec.filename, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def init_random(directory: Path, seed: int, names: Iterable[str] | None = None,
                on_file: Callable[[str], None] | None = None) -> dict[str, Path]:
    """Write random-initialised weights for `names` (all when None) into `directory`. The lpips linear layers
    ship with the lpips package and are copied as they are. Refuses a default weights folder and to overwrite any
    file it did not write."""
    chosen = [get_spec(name).name for name in names] if names else list(WEIGHTS)
    require_test_folder(directory)
    directory.mkdir(parents=True, exist_ok=True)
    randoms = uncalibrated_files(directory)
    files = layouts()
    written: dict[str, Path] = {}
    for name in chosen:
        spec = WEIGHTS[name]
        target = directory / spec.filename
        if spec.package_file:
            _require_replaceable(target, spec.sha256)
            _copy_package_file(spec, target)
        else:
            _require_replaceable(target, randoms.get(spec.filename, {}).get("sha256"))
            _save(spec, target, BUILDERS[name](files[name], file_seed(seed, name)))
            record_random_files(directory, {spec.filename: {"name": name, "seed": seed,
                                                            "sha256": file_sha256(target)}})
        written[name] = target
        if on_file:
            on_file(name)
    return written

