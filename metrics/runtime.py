"""How learned metrics run their networks: exact fp32 in fixed-shape batches, unless the context allows --fast.

Exact mode feeds every network batches of one fixed shape per device type and kind of item (EXACT_BATCH: frames,
or clips of frames; the last batch is padded), so an item's output cannot depend on which other items share its
batch or where it sits in it (tested bit for bit); batches may therefore span videos. TF32 is off and cuDNN
deterministic without autotuning; these process-wide flags, and the thread counts, are set once (`configure`),
not per call. Inputs are uploaded as they come from the host pipelines (uint8 where the pipeline's tensor part
resizes on the device), pinned on CUDA, and outputs stay on the device until a video's block is complete.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np

from a2bench.errors import A2BenchError
from a2bench.metrics.base import MetricContext

# Items per network call in exact mode, by device type and kind of item. CPU: frame networks (Inception, CLIP,
# LPIPS) are faster in batches of 8, clip networks (I3D, 3D ResNet) gain nothing from batching, and a video of one
# clip would pay for the padding (benchmarks/RESULTS.md, bench_batch_shape.py); CUDA: shapes that fill an
# H100/H200-class GPU at 768×512 while keeping the padding of few-clip videos small.
ItemKind = Literal["frames", "clips"]
EXACT_BATCH: dict[tuple[str, ItemKind], int] = {("cpu", "frames"): 8, ("cpu", "clips"): 1,
                                                ("cuda", "frames"): 16, ("cuda", "clips"): 4}
DEVICE_FORMS = "auto, cpu, cuda or cuda:N"
_CONFIGURED: dict[str, Any] = {}


def device_type(context: MetricContext) -> str:
    """`cpu` or `cuda` (imports torch only when the device is not plain `cpu`)."""
    if context.device == "cpu":
        return "cpu"
    import torch

    return torch.device(context.torch_device()).type


def cpu_threads(context: MetricContext) -> int:
    """Threads for the main process's torch/BLAS/OpenCV work: every core when the networks run on the CPU (they
    are nearly all the work; the host workers mostly wait on them), one when a GPU runs them (the host then only
    feeds it). Never derived from `--workers`, so the worker count cannot change a network's summation order."""
    if context.threads:
        return context.threads
    if device_type(context) != "cpu":
        return 1
    return os.cpu_count() or 1


def configure(context: MetricContext) -> None:
    """Set torch's process-wide state once for this context: thread counts, and (unless --fast) TF32 off and
    cuDNN deterministic without autotuning. Calling it again with the same settings does nothing."""
    import cv2
    import torch
    from threadpoolctl import threadpool_limits

    settings = {"threads": cpu_threads(context), "fast": context.fast}
    if settings == _CONFIGURED:
        return
    if torch.get_num_threads() != settings["threads"]:
        torch.set_num_threads(settings["threads"])
    cv2.setNumThreads(settings["threads"])
    threadpool_limits(settings["threads"])
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = context.fast
    torch.backends.cudnn.benchmark = context.fast
    torch.backends.cudnn.deterministic = not context.fast
    _CONFIGURED.clear()
    _CONFIGURED.update(settings)


@contextmanager
def exact_inference(context: MetricContext) -> Iterator[None]:
    """The context's torch configuration (set once) and no autograd."""
    import torch

    configure(context)
    with torch.inference_mode():
        yield


def network_batch_size(context: MetricContext, items: ItemKind = "frames") -> int:
    """Items per network call: the fixed exact shape of the device type and kind of item, or `context.batch_size`
    with --fast."""
    if context.fast:
        return max(1, context.batch_size)
    return EXACT_BATCH[(device_type(context), items)]


def uses_channels_last(context: MetricContext) -> bool:
    """Networks with the channels-last option run in it on CPU, where oneDNN's kernels are faster in that layout
    (docs/metrics.md has the measurements); other devices keep theirs."""
    return device_type(context) == "cpu"


def for_execution(network: Any, context: MetricContext) -> Any:
    """`network`, wrapped to run channels-last where that is faster (see uses_channels_last).

    Only for networks whose channels-last results are tested to stay within the parity bound of their
    standard-layout results: the layout changes oneDNN's summation order, not the computation.
    """
    from a2bench.metrics.networks.layout import ChannelsLast

    return ChannelsLast(network) if uses_channels_last(context) else network


def fast_float64(context: MetricContext) -> bool:
    """Whether the context's CUDA device runs float64 at half its float32 rate: the data-centre GPUs of compute
    capability 6.0, 7.0, 8.0, 9.0 and 10.0 (P100, V100, A100, H100/H200, B200). Other GPUs run it at 1/32 to 1/64
    of that rate, so float64 work is better left to the host's worker processes there."""
    import torch

    major, minor = torch.cuda.get_device_capability(torch.device(context.torch_device()))
    return minor == 0 and 6 <= major <= 10


def device_label(context: MetricContext) -> str:
    """`cpu`, or the GPU model with the torch and cuDNN versions (`cuda-nvidia-h200-torch2.5.1-cudnn90100`):
    kernels differ between GPU models and library versions, so their features are never mixed."""
    kind = device_type(context)
    if kind != "cuda":
        return kind
    import torch

    name = re.sub(r"[^a-z0-9]+", "-", torch.cuda.get_device_name(torch.device(context.torch_device())).lower())
    return f"cuda-{name.strip('-')}-torch{torch.__version__.split('+')[0]}-cudnn{torch.backends.cudnn.version()}"


def execution_tag(context: MetricContext, network: Any, items: ItemKind = "frames") -> str:
    """How `network` computes features, for feature-cache keys and provenance: device (GPU model and library
    versions), exact with its batch shape or fast with its batch size, memory layout."""
    from a2bench.metrics.networks.layout import ChannelsLast

    layout = "-channels-last" if isinstance(network, ChannelsLast) else ""
    mode = f"fast{context.batch_size}" if context.fast else f"exact-b{network_batch_size(context, items)}"
    return f"{device_label(context)}-{mode}{layout}"


def batches(count: int, size: int) -> Iterator[slice]:
    """Consecutive slices of at most `size` items covering range(count)."""
    step = max(1, int(size))
    for start in range(0, count, step):
        yield slice(start, min(count, start + step))


def upload(array: np.ndarray, context: MetricContext) -> Any:
    """A host array as a tensor on the context's device (through pinned memory on CUDA, without a sync)."""
    import torch

    if device_type(context) == "cuda":
        pinned = torch.empty(array.shape, dtype=torch.from_numpy(np.empty(0, array.dtype)).dtype, pin_memory=True)
        pinned.numpy()[...] = array
        return pinned.to(context.torch_device(), non_blocking=True)
    writable = array.flags.writeable and array.flags.c_contiguous
    return torch.from_numpy(array if writable else np.array(array))


def forward(network: Callable[..., Any], inputs: tuple[Any, ...], context: MetricContext,
            items: ItemKind = "frames", **options: Any) -> Any:
    """Outputs (N, D) on the device of `network(*batch, **options)` over the inputs' first axis (`items`: frames
    or clips), in batches of the fixed exact shape (the last one padded with zeros, its padding dropped) or of
    --fast's size."""
    import torch

    size, count = network_batch_size(context, items), len(inputs[0])
    outputs = []
    with exact_inference(context):
        for part in batches(count, size):
            chunk = [x[part].contiguous() for x in inputs]
            missing = size - len(chunk[0]) if not context.fast else 0
            if missing:
                chunk = [torch.cat([x, x.new_zeros((missing, *x.shape[1:]))]) for x in chunk]
            out = network(*chunk, **options)
            outputs.append(out[: part.stop - part.start].reshape(part.stop - part.start, -1))
    if not outputs:
        raise A2BenchError("a network was given no input")
    return torch.cat(outputs)


def check_device(device: str) -> str:
    """`device` when torch can run on it; a one-line error naming the device and the fix otherwise."""
    if device in ("auto", "cpu"):
        return device
    match = re.fullmatch(r"cuda(?::(\d+))?", device)
    if match is None:
        raise A2BenchError(f"unknown device '{device}'", fix=f"use {DEVICE_FORMS}")
    import torch

    if not torch.cuda.is_available():
        raise A2BenchError(f"--device {device}: no CUDA GPU is available to torch {torch.__version__}",
                           fix="use --device cpu (or auto), or install a CUDA build of torch on a GPU machine")
    count = torch.cuda.device_count()
    if match.group(1) is not None and int(match.group(1)) >= count:
        raise A2BenchError(f"--device {device}: this machine has {count} GPU(s) (cuda:0 to cuda:{count - 1})",
                           fix="pick one of them, or set CUDA_VISIBLE_DEVICES")
    return device
