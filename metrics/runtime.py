"""How learned metrics run their networks: exact fp32, one item per call, unless the context allows fast modes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from a2bench.metrics.base import MetricContext


@contextmanager
def exact_inference(context: MetricContext) -> Iterator[None]:
    """No autograd; unless context.fast: TF32 off, cuDNN deterministic without autotuning, and oneDNN off on
    CPU (its convolutions pick kernels by batch shape, so features moved by ~1e-5 with the batch size; the
    reference kernels are batch-independent, about 1.5–2.5× slower). Global settings are restored on exit."""
    import torch

    cuda, cudnn, onednn = torch.backends.cuda.matmul, torch.backends.cudnn, torch.backends.mkldnn
    saved = (cuda.allow_tf32, cudnn.allow_tf32, cudnn.benchmark, cudnn.deterministic, onednn.enabled)
    cuda.allow_tf32 = cudnn.allow_tf32 = cudnn.benchmark = context.fast
    cudnn.deterministic = not context.fast
    onednn.enabled = onednn.enabled and context.fast
    try:
        with torch.inference_mode():
            yield
    finally:
        cuda.allow_tf32, cudnn.allow_tf32, cudnn.benchmark, cudnn.deterministic, onednn.enabled = saved


def network_batch_size(context: MetricContext) -> int:
    """Items per network call: one in exact mode, `context.batch_size` with --fast.

    Even with oneDNN off, CPU GEMM blocking depends on the batch shape (Inception features moved by 2e-5
    between batch 1 and 16), so exact mode feeds one frame or clip at a time: results are then identical
    whatever --batch-size is, and on CPU it is not slower (measured 2.0 s vs 4.5 s for 16 Inception frames).
    """
    return max(1, context.batch_size) if context.fast else 1


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
