"""Every GPU check of a2bench in one go, within a time budget (benchmarks/gpu/README.md):

1. batch composition on CUDA: each network's output for an item is bit-identical alone (padded) and among
   other items at several positions of the fixed exact batch shape;
2. both protocols at A²Bench size (100 predicted + 100 ground-truth videos, 32 frames, 768×512 H×W): first
   scoring, re-scoring with cached ground truth, and the bare network forward floor, with peak GPU memory;
3. the reference pipeline on the same GPU (a smaller workload, the same for a2bench, for a like-for-like ratio);
4. the Fréchet distances and their 200-resample bootstrap at A²Bench size in float64 on the GPU (what a run on
   a data-centre GPU does; 20 resamples timed), and their agreement with the host's numpy steps.
Writes gpu_results.json and RESULTS-gpu.md into --out. Weights are random-initialised: timings are real,
values uncalibrated. Phases that would not fit the budget are listed as skipped, never silently dropped.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench_evaluate import PHASES, parser, phase, summary, workload  # noqa: E402


def batch_identity(weights: Path, device: str) -> dict[str, dict]:
    """Item 0's output alone vs among neighbours at the first, a middle and the last position of the batch."""
    import torch

    from a2bench.metrics import get_protocol
    from a2bench.metrics.base import MetricContext
    from a2bench.metrics.runtime import EXACT_BATCH, upload
    from a2bench.scoring import Scorer

    context = MetricContext(device=device, weights_dir=weights)
    kind = context.torch_device().split(":")[0]
    rng = np.random.default_rng(0)
    shapes = {"fid": (3, 299, 299), "fid_vid": (3, 16, 112, 112), "fvd": (3, 16, 224, 224)}
    report = {}
    for protocol in ("animatex-paper", "a2bench-v1"):
        chosen = get_protocol(protocol)
        scorer = Scorer(chosen, chosen.resolve(["lpips", "fid", "fid_vid", "fvd"]), context)
        for metric in scorer.distribution_metrics:
            extractor = metric.extractor()
            size = EXACT_BATCH[(kind, extractor.items)]
            items = upload(rng.uniform(-1, 1, (size + 1, *shapes[metric.name])).astype(np.float32), context)
            report[f"{protocol}:{metric.name}"] = _compare(extractor.run, (items,), size, extractor.items, context)
        lpips = next(m for m in scorer.case_metrics if m.name == "lpips")
        size = EXACT_BATCH[(kind, "frames")]
        frames = upload(rng.integers(0, 256, (size + 1, 2, 96, 64, 3), dtype=np.uint8), context)
        pair = tuple(frames[:, i].permute(0, 3, 1, 2).float() / 255 for i in range(2))
        report[f"{protocol}:lpips"] = _compare(partial(lpips.model, normalize=lpips.params.input_range == "[-1,1]"),
                                               pair, size, "frames", context)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
    return report


def _compare(run: object, inputs: tuple, size: int, items: str, context: object) -> dict:
    """Largest difference between item 0's output alone (padded) and at three positions of a full batch."""
    from a2bench.metrics.runtime import forward

    alone = forward(run, tuple(x[:1] for x in inputs), context, items)[0]
    differences = []
    for position in (0, size // 2, size - 1):
        order = [*range(1, position + 1), 0, *range(position + 1, size)]
        batch = tuple(x[order] for x in inputs)
        differences.append(float((forward(run, batch, context, items)[position] - alone).abs().max()))
    return {"bit_identical": all(d == 0 for d in differences), "max_abs_difference": max(differences),
            "batch_shape": size}


def set_distances(device: str, videos: int, frames: int) -> dict:
    """Seconds of each `a2bench-v1` set distance and of its bootstrap on `device` (20 resamples timed, projected
    to 200), and the largest relative difference from the host's numpy steps over the first FID resamples."""
    from bench_host import frechet_seconds

    from a2bench.metrics.bootstrap import DISTRIBUTION_RESAMPLES, draw_cases, resampled_distances
    from a2bench.metrics.frechet import FrechetDistance

    figures = frechet_seconds("a2bench-v1", videos, frames, DISTRIBUTION_RESAMPLES, 1, 20, device)
    rng = np.random.default_rng(0)
    blocks = [np.abs(rng.normal(size=(frames, 2048))) for _ in range(2 * videos)]
    picks = draw_cases(videos, 0, 2)
    host, there = (resampled_distances(blocks[:videos], blocks[videos:], FrechetDistance(1, where), picks)
                   for where in (None, device))
    return {"metrics": figures, "fid_max_relative_difference_from_host": float(np.max(np.abs(there - host) / host))}


def environment() -> dict:
    import shutil

    import torch

    smi = "no GPU"
    if shutil.which("nvidia-smi"):
        smi = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                             capture_output=True, text=True, check=False).stdout.strip()
    return {"gpu": smi, "torch": torch.__version__, "cudnn": torch.backends.cudnn.version(),
            "python": platform.python_version(), "cores": os.cpu_count()}


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--out", type=Path, required=True)
    options.add_argument("--budget", type=float, default=470, help="seconds for everything")
    options.add_argument("--videos", type=int, default=100)
    options.add_argument("--reference-videos", type=int, default=12)
    options.add_argument("--frames", type=int, default=32)
    options.add_argument("--height", type=int, default=768)
    options.add_argument("--width", type=int, default=512)
    options.add_argument("--device", default="cuda", help="cuda (the check); cpu only to try the script itself")
    args = options.parse_args()
    started = time.monotonic()
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict = {"environment": environment(), "skipped": [], "protocols": {}}
    workers = max(1, (os.cpu_count() or 2) - 1)

    def left() -> float:
        return args.budget - (time.monotonic() - started)

    from a2bench.weights.random_init import init_random

    with tempfile.TemporaryDirectory(prefix="a2bench-gpu-") as tmp:
        big, small = Path(tmp) / "full", Path(tmp) / "reference"
        init_random(big / "weights", seed=0)
        (small / "weights").parent.mkdir(parents=True)
        (small / "weights").symlink_to(big / "weights")
        results["batch_identity"] = batch_identity(big / "weights", args.device)
        save(results, args)
        try:
            results["set_distances"] = set_distances(args.device, args.videos, args.frames)
        except Exception as exc:  # recorded; the protocol phases still run
            results["skipped"].append(f"set distances on the GPU: {type(exc).__name__}: {exc}")
        save(results, args)
        jobs = os.cpu_count() or 1
        workload(big, args.videos, args.frames, args.height, args.width, jobs)
        workload(small, args.reference_videos, args.frames, args.height, args.width, jobs)
        results["setup_seconds"] = time.monotonic() - started
        plan = [(protocol, name, big, args.videos) for protocol in ("animatex-paper", "a2bench-v1")
                for name in ("ours-first", "ours-rescore", "floor")]
        plan += [(protocol, name, small, args.reference_videos) for protocol in ("animatex-paper", "a2bench-v1")
                 for name in ("ours-first", "reference")]
        estimates = {"ours-first": 60, "ours-rescore": 40, "floor": 30, "reference": 120}
        for protocol, name, work, videos in plan:
            label = f"{name}@{videos}"
            if left() < estimates[name]:
                results["skipped"].append(f"{protocol} {label}: {left():.0f} s of the budget left")
                continue
            bench = parser().parse_args(["--device", args.device, "--protocol", protocol, "--videos", str(videos),
                                         "--frames", str(args.frames), "--size", str(args.height), "--width",
                                         str(args.width), "--workers", str(workers), "--phases", ",".join(PHASES)])
            entry = results["protocols"].setdefault(protocol, {})
            entry[label] = phase(name, work, bench)
            print(f"{protocol} {label}: {entry[label]['seconds']:.1f} s", flush=True)
            save(results, args)
    results["total_seconds"] = time.monotonic() - started
    print(save(results, args))


def save(results: dict, args: argparse.Namespace) -> str:
    """Write gpu_results.json and RESULTS-gpu.md from what has been measured so far (called after every phase,
    so a run stopped at the device's time limit still brings its figures back); returns the Markdown."""
    document = copy.deepcopy(results)
    document.setdefault("total_seconds", None)
    for entry in document["protocols"].values():
        full = {name.split("@")[0]: value for name, value in entry.items() if name.endswith(f"@{args.videos}")}
        like = {name.split("@")[0]: value for name, value in entry.items()
                if name.endswith(f"@{args.reference_videos}")}
        entry["figures"] = {**summary(full), **{f"{k} (at {args.reference_videos} videos)": v
                                                      for k, v in summary(like).items()}}
    text = markdown(document, args)
    (args.out / "gpu_results.json").write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    (args.out / "RESULTS-gpu.md").write_text(text, encoding="utf-8")
    return text


def markdown(results: dict, args: argparse.Namespace) -> str:
    """The RESULTS.md section: environment, batch identity, seconds and the target figures per protocol."""
    env = results["environment"]
    lines = [f"## {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} — GPU check: {env['gpu']}",
             "", f"torch {env['torch']}, cuDNN {env['cudnn']}, Python {env['python']}, {env['cores']} cores; "
             f"A²Bench size: {args.videos} videos × {args.frames} frames at {args.width}×{args.height} (W×H); "
             f"reference pipeline at {args.reference_videos} videos. Random-initialised weights (UNCALIBRATED values;"
             f" timings are real). Command: `bash benchmarks/gpu/run.sh` (benchmarks/gpu/README.md).", "",
             "| batch composition (exact, CUDA) | bit-identical | max abs difference |", "| --- | --- | ---: |"]
    lines += [f"| {name} | {entry['bit_identical']} | {entry['max_abs_difference']:.3g} |"
              for name, entry in results["batch_identity"].items()]
    if "set_distances" in results:
        distances = results["set_distances"]
        lines += ["", "| a2bench-v1 set distance, float64 on the GPU | rows × dims (each set) | one distance (s) | "
                  "shared by resamples (s) | one resample (s, mean of 20) | distance + 200-resample bootstrap (s) |",
                  "| --- | --- | ---: | ---: | ---: | ---: |"]
        lines += [f"| {name} | {e['rows']}×{e['dims']} | {e['point']:.2f} | {e['shared']:.2f} | {e['resample']:.3f} "
                  f"| {e['projected']:.1f} |" for name, e in distances["metrics"].items()]
        lines += ["", "FID resamples on the GPU vs the host's numpy steps: largest relative difference "
                  f"{distances['fid_max_relative_difference_from_host']:.2g}."]
    for protocol, entry in results["protocols"].items():
        lines += ["", f"### {protocol}", "", "| phase | seconds | peak GPU (MB) | peak RSS (MB) |",
                  "| --- | ---: | ---: | ---: |"]
        lines += [f"| {name} | {value['seconds']:.1f} | {value.get('peak_gpu_mb') or 0:.0f} | "
                  f"{value['peak_rss_mb']:.0f} |" for name, value in entry.items() if name != "figures"]
        lines += ["", *(f"- {name}: **{value:.2f}**" for name, value in entry["figures"].items())]
    total = results["total_seconds"]
    lines += ["", f"Skipped for the budget: {', '.join(results['skipped']) or 'nothing'}. "
              + (f"Total {total:.0f} s" if total is not None else "Still running when written")
              + f" (setup {results.get('setup_seconds', 0):.0f} s).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
