"""How learned metrics run their networks: exact fp32, one item per call, unless the context allows fast modes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from a2bench.metrics.base import MetricContext


@contextmanager
def exact_inference(context: MetricContext) -> Iterator[None]:
    """No autograd; unless context.fast: TF32 off and cuDNN deterministic without autotuning. Global settings
    are restored on exit. CPU oneDNN stays on: its fp32 kernels are deterministic for a given input shape, and
    exact mode feeds one item at a time (network_batch_size), so results cannot depend on the batch size."""
    import torch

    cuda, cudnn = torch.backends.cuda.matmul, torch.backends.cudnn
    saved = (cuda.allow_tf32, cudnn.allow_tf32, cudnn.benchmark, cudnn.deterministic)
    cuda.allow_tf32 = cudnn.allow_tf32 = cudnn.benchmark = context.fast
    cudnn.deterministic = not context.fast
    try:
        with torch.inference_mode():
            yield
    finally:
        cuda.allow_tf32, cudnn.allow_tf32, cudnn.benchmark, cudnn.deterministic = saved


def network_batch_size(context: MetricContext) -> int:
    """Items per network call: one in exact mode, `context.batch_size` with --fast.

    CPU kernels (oneDNN and plain GEMM alike) block their work by the batch shape, which moved Inception
    features by 2e-5 between batch 1 and 16; feeding one frame or clip at a time makes results identical
    whatever --batch-size is, and on CPU it is not slower (2.0 s vs 4.5 s for 16 Inception frames).
    """
    return max(1, context.batch_size) if context.fast else 1


def device_type(context: MetricContext) -> str:
    import torch

    return torch.device(context.torch_device()).type


def uses_channels_last(context: MetricContext) -> bool:
    """Networks with the channels-last option run in it on CPU, where oneDNN's kernels are faster in that layout
    (measured, 2 cores: I3D 0.54 → 0.40 s a clip, LPIPS-VGG 0.56 → 0.41 s a pair); other devices keep theirs."""
    return device_type(context) == "cpu"


def for_execution(network: Any, context: MetricContext) -> Any:
    """`network`, wrapped to run channels-last where that is faster (see uses_channels_last).

    Only for networks whose channels-last results are tested to stay within the parity bound of their
    standard-layout results: the layout changes oneDNN's summation order, not the computation.
    """
    from a2bench.metrics.networks.layout import ChannelsLast

    return ChannelsLast(network) if uses_channels_last(context) else network


def execution_tag(context: MetricContext, network: Any) -> str:
    """How `network` computes features, for feature-cache keys: device type, exact or fast, memory layout.

    Different devices, batch shapes (--fast) and layouts change a feature's last bits, so exact features are
    never mixed with features computed another way.
    """
    from a2bench.metrics.networks.layout import ChannelsLast

    layout = "-channels-last" if isinstance(network, ChannelsLast) else ""
    mode = f"fast{context.batch_size}" if context.fast else "exact"
    return f"{device_type(context)}-{mode}{layout}"


def batches(count: int, size: int) -> Iterator[slice]:
    """Consecutive slices of at most `size` items covering range(count)."""
    step = max(1, int(size))
    for start in range(0, count, step):
        yield slice(start, min(count, start + step))


def run_batched(network: Any, inputs: np.ndarray, context: MetricContext) -> np.ndarray:
    """Network outputs (float64, (N, D)) for float32 inputs, `network_batch_size(context)` at a time."""
    import torch

    device = context.torch_device()
    outputs = []
    with exact_inference(context):
        for part in batches(len(inputs), network_batch_size(context)):
            chunk = torch.from_numpy(np.ascontiguousarray(inputs[part], dtype=np.float32)).to(device)
            outputs.append(network(chunk).reshape(len(chunk), -1).double().cpu().numpy())
    return np.concatenate(outputs)


DEVICE_FORMS = "auto, cpu, cuda or cuda:N"


def check_device(device: str) -> str:
    """`device` when torch can run on it; a one-line error naming the device and the fix otherwise."""
    import re

    from a2bench.errors import A2BenchError

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
