"""The non-network work of an A²Bench-size run, measured per item on one core and projected to 16 cores.

Usage: python benchmarks/bench_host.py [--cases 3] [--frames 32] [--height 768] [--width 512] [--videos 100]
       [--cores 16] [--resamples 200] [--timed-resamples 8] [--out benchmarks/RESULTS.md]

Per case (one prediction and its ground truth, as MP4): the host side a2bench runs in its worker processes —
decode, hash, manifest-free alignment, the pixel metrics, the host part of every network input pipeline (PIL
float resizes, GIF palettes) — timed on one thread, for each protocol's full metric set. Then the Fréchet
distances, what their bootstrap computes once (metrics.frechet.FrechetDistance.shared) and the mean bootstrap
resample on feature sets of A²Bench's sizes. Projection to `--cores` worker processes: videos × per-case
seconds / cores, plus each distance and its shared arrays once and its resamples / cores (they run in the same
pool). Network forward passes are excluded (bench_evaluate.py measures them).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PROTOCOL_METRICS = {
    "animatex-paper": ("psnr", "psnr_legacy", "ssim", "l1", "lpips", "fid", "fid_vid", "fvd", "fvd_gif",
                       "clip_identity", "clip_temporal"),
    "a2bench-v1": ("psnr", "ssim", "l1", "lpips", "fid", "fid_vid", "fvd", "clip_identity", "clip_temporal"),
}


def one_thread() -> None:
    import cv2
    import torch
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    cv2.setNumThreads(1)
    torch.set_num_threads(1)


def host_seconds(protocol: str, cases: list[tuple[Path, Path, Path]], weights: Path) -> dict[str, float]:
    """Mean host-side seconds per case by stage, and in all."""
    from a2bench.casework import host_case
    from a2bench.metrics import get_protocol
    from a2bench.metrics.base import MetricContext
    from a2bench.pairs import VideoPair
    from a2bench.scoring import Scorer

    chosen = get_protocol(protocol)
    scorer = Scorer(chosen, chosen.resolve(PROTOCOL_METRICS[protocol]), MetricContext(device="cpu",
                                                                                       weights_dir=weights))
    assert not scorer.skipped, scorer.skipped
    plan = scorer.plan()
    totals: dict[str, float] = {}
    for index, (pred, gt, reference) in enumerate(cases):
        started = time.perf_counter()
        hosted = host_case(VideoPair(f"case{index}", pred, gt, reference), plan)
        totals["total"] = totals.get("total", 0.0) + time.perf_counter() - started
        names = {extractor.key: extractor.spec.network + ":" + extractor.spec.preprocessing.id
                 for extractor in {e.key: e for m in scorer.case_metrics + scorer.distribution_metrics
                                   for e in m.extractors.values()}.values()}
        for name, seconds in hosted.seconds.items():
            totals[names.get(name, name)] = totals.get(names.get(name, name), 0.0) + seconds
    return {name: seconds / len(cases) for name, seconds in totals.items()}


def frechet_seconds(protocol: str, videos: int, frames: int, resamples: int, cores: int, timed: int,
                    device: str | None = None) -> dict[str, dict]:
    """Seconds of each distribution metric's distance and of one bootstrap resample (the mean of `timed`: how many
    videos a resample draws, and so its route, varies), at A²Bench's sizes; on the host in numpy, or in torch
    float64 on `device` (what a run on a GPU does, metrics.frechet.FrechetDistance)."""
    from dataclasses import replace

    from a2bench.metrics import get_protocol
    from a2bench.metrics.bootstrap import resample_distances

    chosen = get_protocol(protocol)
    rows = {"fid": (frames, 2048), "fid_vid": (1, 2048),
            "fvd": ((frames - 15, 400) if protocol == "animatex-paper" else (1, 400)), "fvd_gif": (frames - 16, 400)}
    rng = np.random.default_rng(0)
    figures = {}
    for name in ("fid", "fid_vid", "fvd", "fvd_gif"):
        if name not in chosen.metric_names():
            continue
        per_video, width = rows[name]
        blocks = [np.abs(rng.normal(size=(per_video, width))) for _ in range(2 * videos)]
        pred, gt = np.concatenate(blocks[:videos]), np.concatenate(blocks[videos:])
        distance = replace(chosen.get_metric(name).distance_function(), device=device)
        if device is not None:
            distance(pred, gt)  # untimed: the device's first call sets up its solver and loads kernels
        started = time.perf_counter()
        distance(pred, gt)
        point = time.perf_counter() - started
        started = time.perf_counter()
        arrays = distance.shared(pred, gt)
        finish_queued(device)
        shared = time.perf_counter() - started
        lengths = np.full(videos, per_video)
        picks = np.random.default_rng(1).integers(0, videos, size=(timed, videos))
        started = time.perf_counter()
        resample_distances(arrays, lengths, lengths, picks, distance)
        resample = (time.perf_counter() - started) / timed
        figures[name] = {"rows": len(pred), "dims": width, "point": point, "shared": shared, "resample": resample,
                         "projected": point + shared + resamples * resample / cores}
    return figures


def finish_queued(device: str | None) -> None:
    """Wait for the GPU's queued work (a resample's value is read back, so only the shared arrays need it)."""
    if device is not None and device.startswith("cuda"):
        import torch

        torch.cuda.synchronize(device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=3, help="cases actually timed (the mean is projected)")
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--height", type=int, default=768)
    parser.add_argument("--width", type=int, default=512)
    parser.add_argument("--videos", type=int, default=100, help="cases of the projected run")
    parser.add_argument("--cores", type=int, default=16)
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--timed-resamples", type=int, default=8, help="bootstrap resamples actually timed")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = parser.parse_args()
    one_thread()
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_evaluate import workload

    from a2bench.weights.random_init import init_random

    report = []
    with tempfile.TemporaryDirectory(prefix="a2bench-host-") as tmp:
        work = Path(tmp)
        init_random(work / "weights", seed=0)
        workload(work, args.cases, args.frames, args.height, args.width, jobs=1)
        from a2bench.video.io import read_video, write_png

        cases = []
        for gt in sorted((work / "gt").glob("*.mp4")):
            write_png(work / "ref" / f"{gt.stem}.png", read_video(gt)[0])
            cases.append((work / "method_a" / gt.name, gt, work / "ref" / f"{gt.stem}.png"))
        for protocol in PROTOCOL_METRICS:
            host = host_seconds(protocol, cases, work / "weights")
            frechet = frechet_seconds(protocol, args.videos, args.frames, args.resamples, args.cores,
                                      args.timed_resamples)
            projected_host = args.videos * host["total"] / args.cores
            projected = projected_host + sum(entry["projected"] for entry in frechet.values())
            stages = "\n".join(f"| {name} | {seconds:.3f} |" for name, seconds in host.items())
            distances = "\n".join(f"| {name} | {e['rows']}×{e['dims']} | {e['point']:.2f} | {e['shared']:.2f} | "
                                  f"{e['resample']:.2f} | {e['projected']:.1f} |" for name, e in frechet.items())
            report.append(f"""
### {protocol}: projected non-network work **{projected:.1f} s** on {args.cores} cores (target < 20 s)

Host side per case, one thread (seconds; prediction and ground truth, {args.frames} frames at \
{args.width}×{args.height}):

| stage | seconds |
| --- | ---: |
{stages}

Projected host side: {args.videos} cases × {host['total']:.2f} s / {args.cores} cores = {projected_host:.1f} s.

| distance | rows × dims (each set) | one distance (s) | shared by resamples, once (s) | one resample (s) | \
projected: one + shared + {args.resamples} resamples / {args.cores} (s) |
| --- | --- | ---: | ---: | ---: | ---: |
{distances}
""")
    section = (f"\n## {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} — non-network work per item, projected "
               f"to an A²Bench-size run\n\nMachine: {platform.platform()}, {platform.processor() or 'cpu'}, "
               f"{os.cpu_count()} cores (timed on one). Command: `python benchmarks/bench_host.py --cases "
               f"{args.cases} --frames {args.frames} --height {args.height} --width {args.width} --videos "
               f"{args.videos} --cores {args.cores} --resamples {args.resamples} --timed-resamples "
               f"{args.timed_resamples}`.\n" + "".join(report))
    with open(args.out, "a", encoding="utf-8") as handle:
        handle.write(section)
    print(section)


if __name__ == "__main__":
    main()
