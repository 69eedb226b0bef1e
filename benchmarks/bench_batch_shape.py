"""Seconds per video of each network at each exact batch shape, to choose `runtime.EXACT_BATCH` for a device.

Usage: python benchmarks/bench_batch_shape.py [--device cpu] [--shapes 1,2,4,8] [--frames 32] [--size 256]
       [--threads N] [--out benchmarks/RESULTS.md]

For every network of both protocols (FID's Inception, FID-VID's and FVD's I3D, CLIP, LPIPS), one video of
random frames goes through a2bench's own extraction (host inputs, device preprocessing, padded fixed-shape
`forward`) once per candidate shape, after one warm-up pass. The last batch is padded, so a shape larger than a
video's item count pays for the padding, as scoring would. Weights are random-initialised: timings only.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import numpy as np

PROTOCOL_METRICS = {"animatex-paper": ("lpips", "fid", "fid_vid", "fvd", "clip_identity"),
                    "a2bench-v1": ("lpips", "fid", "fid_vid", "fvd", "clip_identity")}


def _shape(table: dict[tuple[str, str], int], kind: str, shape: int) -> None:
    """Every kind of item on device type `kind` batched `shape` at a time."""
    for device_kind, items in table:
        if device_kind == kind:
            table[(device_kind, items)] = shape


def measure(protocol: str, weights: Path, device: str, shapes: list[int], frames: np.ndarray) -> dict[str, dict]:
    """{network: {shape: seconds for one video}} under `protocol`."""
    from bench_evaluate import synchronized_seconds

    from a2bench.metrics import get_protocol, runtime
    from a2bench.metrics.base import MetricContext
    from a2bench.scoring import Scorer

    chosen = get_protocol(protocol)
    scorer = Scorer(chosen, chosen.resolve(PROTOCOL_METRICS[protocol]),
                    MetricContext(device=device, weights_dir=weights, workers=0))
    assert not scorer.skipped, scorer.skipped
    extractors = {e.key: e for metric in scorer.case_metrics + scorer.distribution_metrics
                  for e in metric.extractors.values()}
    runs = {f"{e.spec.network}:{e.spec.preprocessing.id}": partial(e.extract_hosted, e.host_inputs(frames))
            for e in extractors.values()}
    lpips = next(metric for metric in scorer.case_metrics if metric.name == "lpips")
    runs[f"lpips ({protocol})"] = lambda: lpips.per_frame(frames, frames)
    original = dict(runtime.EXACT_BATCH)
    kind = runtime.device_type(scorer.context)
    figures: dict[str, dict] = {}
    try:
        for name, run in runs.items():
            _shape(runtime.EXACT_BATCH, kind, 1)
            synchronized_seconds(run, device)  # warm-up: first-call allocations and kernel selection
            figures[name] = {}
            for shape in shapes:
                _shape(runtime.EXACT_BATCH, kind, shape)
                figures[name][shape] = synchronized_seconds(run, device)
            print(name, {shape: round(seconds, 2) for shape, seconds in figures[name].items()}, flush=True)
    finally:
        runtime.EXACT_BATCH.update(original)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--shapes", default="1,2,4,8", help="comma-separated batch shapes to compare")
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--size", type=int, default=256, help="frame height and width")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = parser.parse_args()
    import torch

    from a2bench.weights.random_init import init_random

    torch.set_num_threads(args.threads)
    sys.path.insert(0, str(Path(__file__).parent))
    shapes = [int(text) for text in args.shapes.split(",")]
    frames = np.random.default_rng(0).integers(0, 256, (args.frames, args.size, args.size, 3), dtype=np.uint8)
    rows = []
    with tempfile.TemporaryDirectory(prefix="a2bench-batch-") as tmp:
        init_random(Path(tmp), seed=0)
        for protocol in PROTOCOL_METRICS:
            for name, seconds in measure(protocol, Path(tmp), args.device, shapes, frames).items():
                best = min(seconds, key=seconds.get)
                cells = " | ".join(f"{seconds[shape]:.2f}" for shape in shapes)
                rows.append(f"| {name} | {cells} | {best} | {seconds[1] / seconds[best]:.2f}× |")
    header = " | ".join(f"b{shape}" for shape in shapes)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    section = f"""
## {stamp} — exact batch shape per network, {args.device}, one video of {args.frames} frames at {args.size}²

Machine: {platform.platform()}, {platform.machine()}, torch {torch.__version__}, {args.threads} threads.
Command: `python benchmarks/bench_batch_shape.py {' '.join(sys.argv[1:])}`. Weights random-initialised (timings
only). Seconds for the whole video at each batch shape (last batch padded), after one warm-up pass.

| network | {header} | fastest | gain over b1 |
| --- | {' | '.join('---:' for _ in shapes)} | ---: | ---: |
""" + "\n".join(rows) + "\n"
    with args.out.open("a", encoding="utf-8") as handle:
        handle.write(section)
    print(section)


if __name__ == "__main__":
    main()
