"""Throughput and peak memory of `a2bench` scoring the full metric set, against a reference pipeline.

Usage: python benchmarks/bench_evaluate.py [--videos 12] [--frames 32] [--size 256] [--width W] [--device cpu]
       [--protocol animatex-paper] [--out benchmarks/RESULTS.md]

Phases (each in a fresh process, so each peak RSS is its own):
- `ours-first`: a2bench's one-pass scorer, empty feature cache, method A;
- `ours-rescore`: method B against the same cache (ground-truth features are reused);
- `ours-quarter`: first scoring of a quarter of the videos: peak memory at 4× the videos (`ours-first`)
  must stay flat;
- `reference`: the reference packages used as their READMEs and the DisCo scripts use them, for the same
  protocol: frames written to disk as PNG, one pass per metric, batch 1 where DisCo uses 1. FID runs clean-fid
  "clean" mode (animatex-paper, as DisCo's metric script) or pytorch-fid's entry point (a2bench-v1), batched as
  those packages batch; FVD reads DisCo's every 16-frame window (animatex-paper) or one StyleGAN-V clip.
Weights are random-initialised (`a2bench weights init-random`): timings are real, values uncalibrated.
Needs the `bench` extra (clean-fid): pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

METRICS = ("psnr", "ssim", "l1", "lpips", "fid", "fid_vid", "fvd")


def workload(folder: Path, videos: int, frames: int, size: int, width: int) -> None:
    """Ground truth from the synthetic generator (size² frames, resized to width × size when those differ, as
    A²Bench's 768×512); method A shifted by 3 px plus noise, method B blurred."""
    import cv2

    from a2bench.data.synth.suite import SynthConfig, generate_case
    from a2bench.video.io import write_video

    config = SynthConfig("bench", cases=videos, frames=frames, size=size, fps=8, styles=("dance", "walk"), seed=7)
    rng = np.random.default_rng(0)
    for index in range(videos):
        case = generate_case(config, index)
        gt = case.video if width == size else np.stack([cv2.resize(frame, (width, size)) for frame in case.video])
        shifted = np.roll(gt, 3, axis=2).astype(np.int16) + rng.integers(-8, 9, gt.shape, dtype=np.int16)
        blurred = np.stack([cv2.GaussianBlur(frame, (5, 5), 1.5) for frame in gt])
        write_video(folder / "gt" / f"{case.case_id}.mp4", gt)
        write_video(folder / "method_a" / f"{case.case_id}.mp4", np.clip(shifted, 0, 255).astype(np.uint8))
        write_video(folder / "method_b" / f"{case.case_id}.mp4", blurred)


def run_ours(work: Path, method: str, protocol: str, device: str, batch_size: int) -> dict:
    """Score with a2bench's library path (what `a2bench evaluate` runs); values and seconds per stage."""
    from a2bench.metrics import get_protocol, resolve_metrics
    from a2bench.metrics.base import MetricContext
    from a2bench.metrics.cache import FeatureCache
    from a2bench.scoring import Scorer, match_folders, score_pairs

    context = MetricContext(device=device, batch_size=batch_size, weights_dir=work / "weights",
                            cache_dir=work / "cache")
    chosen = get_protocol(protocol)
    scorer = Scorer(chosen, resolve_metrics(chosen.id, METRICS), context,
                    features=FeatureCache.for_context(context).features)
    assert not scorer.skipped, scorer.skipped
    outcome = score_pairs(match_folders(work / method, work / "gt"), scorer, workers=2)
    values = {name: float(np.mean([case.values[name] for case in outcome.cases])) for name in outcome.cases[0].values}
    values.update({name: entry["value"] for name, entry in outcome.distribution.items()})
    names = {metric.extractor().key: metric.name for metric in scorer.distribution_metrics}
    stages = {names.get(key, key): seconds for key, seconds in scorer.seconds.items()}
    return {"values": values, "stages": stages}


def _frames_to_disk(video: Path, folder: Path) -> None:
    from PIL import Image

    from a2bench.video.io import read_video

    folder.mkdir(parents=True, exist_ok=True)
    for index, frame in enumerate(read_video(video)):
        Image.fromarray(frame).save(folder / f"{index:05d}.png")


class Stages:
    """Wall-clock seconds per named stage of the reference pipeline."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._last
        self._last = now


def _read_png(path: Path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB"))


def reference_pixel_metrics(pred_files: list[Path], gt_files: list[Path], protocol: str) -> dict[str, float]:
    """PSNR, SSIM, L1 over frame files read with cv2, as DisCo's loop (SSIM per protocol, via scikit-image)."""
    import cv2
    from skimage.metrics import structural_similarity

    gaussian = {"gaussian_weights": True, "sigma": 1.5, "use_sample_covariance": False} if protocol == "a2bench-v1" \
        else {}
    psnr, ssim, l1 = [], [], []
    for p, g in zip(pred_files, gt_files, strict=True):
        a, b = cv2.imread(str(p)), cv2.imread(str(g))
        mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
        psnr.append(100.0 if mse == 0 else 20 * np.log10(255 / np.sqrt(mse)))
        ssim.append(structural_similarity(cv2.cvtColor(a, cv2.COLOR_BGR2GRAY), cv2.cvtColor(b, cv2.COLOR_BGR2GRAY),
                                          data_range=255, **gaussian))
        l1.append(np.mean(np.abs(a.astype(np.float64) - b.astype(np.float64)) / (a.shape[0] * a.shape[1])))
    return {"psnr": float(np.mean(psnr)), "ssim": float(np.mean(ssim)), "l1": float(np.mean(l1))}


def reference_lpips(pred_files: list[Path], gt_files: list[Path], protocol: str, weights: Path, device: str) -> float:
    """lpips.LPIPS one frame pair at a time on ToTensor frames: VGG without normalize (DisCo), or AlexNet with it."""
    import torch
    from PIL import Image
    from torchvision.transforms.functional import to_tensor

    from a2bench.metrics.networks.lpips_net import load_lpips
    from a2bench.weights.store import resolve

    net, backbone, linear = ("vgg", "vgg16", "lpips-vgg-lin") if protocol == "animatex-paper" else \
        ("alex", "alexnet", "lpips-alex-lin")
    model = load_lpips(net, resolve(backbone, weights), resolve(linear, weights), device)
    with torch.no_grad():
        return float(np.mean([model(to_tensor(Image.open(p).convert("RGB"))[None].to(device),
                                    to_tensor(Image.open(g).convert("RGB"))[None].to(device),
                                    normalize=protocol != "animatex-paper").item()
                              for p, g in zip(pred_files, gt_files, strict=True)]))


def reference_fid(pred_flat: Path, gt_flat: Path, protocol: str, weights: Path, device: str) -> float:
    """clean-fid's compute_fid in "clean" mode (animatex-paper, DisCo's metric script), or pytorch-fid's entry
    point (a2bench-v1), over two flat folders of frames; pytorch-fid's Inception with the benchmark's weights."""
    import torch
    from pytorch_fid import fid_score, inception

    from a2bench.weights.store import load_checkpoint, resolve

    state = load_checkpoint(resolve("fid-inception", weights))
    inception.load_state_dict_from_url = lambda *args, **kwargs: state
    if protocol == "a2bench-v1":
        return float(fid_score.calculate_fid_given_paths([str(pred_flat), str(gt_flat)], 50, device, 2048,
                                                         num_workers=0))
    from cleanfid import fid as cleanfid

    network = inception.InceptionV3([3], resize_input=False, normalize_input=False).eval().to(device)

    def features(batch: torch.Tensor) -> torch.Tensor:  # clean-fid feeds 0–255 floats; its Inception maps to ±1
        return network((batch.to(device) - 128) / 128)[0].flatten(1)

    return float(cleanfid.compute_fid(str(pred_flat), str(gt_flat), mode="clean", custom_feat_extractor=features,
                                      num_workers=0, device=torch.device(device), verbose=False))


def reference_video_features(folders: list[Path], protocol: str, weights: Path, device: str) -> dict[str, np.ndarray]:
    """FVD's I3D logits and FID-VID's 3D ResNet-50 features of each frame folder, frames read back from disk:
    DisCo's dataset reads every 16-frame window (animatex-paper); StyleGAN-V takes one clip (a2bench-v1)."""
    import torch

    from a2bench.metrics import preprocess
    from a2bench.metrics.networks.i3d import load_i3d
    from a2bench.metrics.networks.resnet3d import load_resnet3d50
    from a2bench.weights.store import resolve

    paper = protocol == "animatex-paper"
    i3d = load_i3d(resolve("i3d-kinetics400", weights), device, variant="disco" if paper else "tats")
    r3d = load_resnet3d50(resolve("resnet3d50-kinetics", weights), device)
    fvd, fid_vid = [], []
    with torch.no_grad():
        for folder in folders:
            files = sorted(folder.glob("*.png"))
            for start in range(len(files) - 15) if paper else (0,):
                clip = np.stack([_read_png(f) for f in files[start:start + 16]])
                x = torch.from_numpy(preprocess.disco_fvd_video(clip)).float()[None].permute(0, 2, 1, 3, 4) \
                    if paper else torch.from_numpy(preprocess.stylegan_v_clip(clip))
                fvd.append(i3d(x.to(device)).cpu().double().numpy())
            video = np.stack([_read_png(f) for f in files])
            segments = torch.from_numpy(preprocess.disco_fid_vid_segments(video)).float().to(device)
            fid_vid.append(r3d(segments).mean(0, keepdim=True).cpu().double().numpy())
    return {"fvd": np.concatenate(fvd), "fid_vid": np.concatenate(fid_vid)}


def run_reference(work: Path, method: str, protocol: str, device: str) -> dict:
    """The reference pipeline: PNG frames on disk, then one pass per metric as the reference code does it."""
    from a2bench.metrics.frechet import frechet_distance_features

    weights, frames, stages = work / "weights", work / "reference_frames", Stages()
    for kind in (method, "gt"):
        for video in sorted((work / kind).glob("*.mp4")):
            _frames_to_disk(video, frames / kind / video.stem)
        flat = frames / f"{kind}_flat"
        flat.mkdir()
        for file in sorted((frames / kind).glob("*/*.png")):
            (flat / f"{file.parent.name}_{file.name}").write_bytes(file.read_bytes())
    stages.done("frames to PNG")
    pred_files, gt_files = sorted((frames / method).glob("*/*.png")), sorted((frames / "gt").glob("*/*.png"))
    values = reference_pixel_metrics(pred_files, gt_files, protocol)
    stages.done("psnr+ssim+l1")
    values["lpips"] = reference_lpips(pred_files, gt_files, protocol, weights, device)
    stages.done("lpips")
    values["fid"] = reference_fid(frames / f"{method}_flat", frames / "gt_flat", protocol, weights, device)
    stages.done("fid")
    pred = reference_video_features(sorted((frames / method).iterdir()), protocol, weights, device)
    gt = reference_video_features(sorted((frames / "gt").iterdir()), protocol, weights, device)
    ddof = {"fvd": 1 if protocol == "animatex-paper" else 0, "fid_vid": 1}
    values.update({name: frechet_distance_features(pred[name], gt[name], ddof=ddof[name]) for name in pred})
    stages.done("fvd+fid_vid")
    return {"values": values, "stages": stages.seconds}


def child(args: argparse.Namespace) -> None:
    """Run one phase and print its timing and peak memory as JSON."""
    work = Path(args.work)
    start = time.perf_counter()
    if args.phase == "reference":
        outcome = run_reference(work, "method_a", args.protocol, args.device)
    else:
        outcome = run_ours(work, "method_b" if args.phase == "ours-rescore" else "method_a", args.protocol,
                           args.device, args.batch_size)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      **outcome}))


def phase(name: str, work: Path, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--phase", name, "--work", str(work), "--device", args.device,
               "--protocol", args.protocol, "--batch-size", str(args.batch_size)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=int, default=12)
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--size", type=int, default=256, help="frame height (and width unless --width)")
    parser.add_argument("--width", type=int, help="frame width, e.g. --size 512 --width 768 for A²Bench's frames")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--protocol", default="animatex-paper")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        child(args)
        return
    from a2bench.weights.random_init import init_random

    with tempfile.TemporaryDirectory(prefix="a2bench-bench-") as tmp:
        work, small = Path(tmp) / "n", Path(tmp) / "quarter"
        init_random(work / "weights", seed=0)
        workload(work, args.videos, args.frames, args.size, args.width or args.size)
        results = {name: phase(name, work, args) for name in ("ours-first", "ours-rescore", "reference")}
        (small / "weights").parent.mkdir(parents=True)
        (small / "weights").symlink_to(work / "weights")
        workload(small, max(1, args.videos // 4), args.frames, args.size, args.width or args.size)
        results["ours-quarter"] = phase("ours-first", small, args)
    write_report(args, results)


def write_report(args: argparse.Namespace, results: dict[str, dict]) -> None:
    """Append a dated section with the figures, the machine and the command to RESULTS.md."""
    import torch

    n = args.videos
    rate = {name: (max(1, n // 4) if name == "ours-quarter" else n) / r["seconds"] for name, r in results.items()}
    speedup = rate["ours-first"] / rate["reference"]
    rescore = results["ours-first"]["seconds"] / results["ours-rescore"]["seconds"]
    memory = results["ours-first"]["peak_rss_mb"] / results["ours-quarter"]["peak_rss_mb"]
    rows = "\n".join(f"| {name} | {r['seconds']:.1f} | {rate[name]:.3f} | {r['peak_rss_mb']:.0f} |"
                     for name, r in results.items())
    phases = ("ours-first", "ours-rescore", "reference")
    stage_names = dict.fromkeys(name for phase in phases for name in results[phase]["stages"])
    stages = "\n".join(f"| {stage} | " + " | ".join(_seconds(results[phase]["stages"].get(stage)) for phase in phases)
                       + " |" for stage in stage_names)
    ours, reference = results["ours-first"]["values"], results["reference"]["values"]
    values = "\n".join(f"| {m} | {ours.get(m, float('nan')):.6g} | {reference.get(m, float('nan')):.6g} |"
                       for m in METRICS)
    width_option = f" --width {args.width}" if args.width else ""
    section = f"""
## {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} — {args.videos} videos × {args.frames} frames at \
{args.width or args.size}×{args.size}, {args.device}, protocol {args.protocol}

Machine: {platform.platform()}, {platform.processor() or platform.machine()}, torch {torch.__version__},
{torch.get_num_threads()} threads. Command: `python benchmarks/bench_evaluate.py --videos {args.videos} \
--frames {args.frames} --size {args.size}{width_option} --device {args.device} --protocol {args.protocol}`.
Weights: random-initialised (UNCALIBRATED values; timings are real).

| phase | seconds | videos/s | peak RSS (MB) |
| --- | ---: | ---: | ---: |
{rows}

- first scoring vs reference pipeline: **{speedup:.2f}×** throughput (target ≥ 3×)
- re-scoring against cached ground-truth features: **{rescore:.2f}×** faster than first scoring (target ≥ 1.8×)
- memory, {n} videos vs {max(1, n // 4)}: **{memory:.2f}×** peak RSS (target ≤ 1.2×)

Seconds per stage (a2bench: time inside each metric, decoding runs alongside in background threads;
reference: each pass, including its own reads of the PNG frames):

| stage | ours-first | ours-rescore | reference |
| --- | ---: | ---: | ---: |
{stages}

Values, method A (ours, first scoring, vs the reference pipeline, same weights):

| metric | a2bench | reference |
| --- | ---: | ---: |
{values}
"""
    header = "" if args.out.exists() else "# Benchmark results\n\nWritten by `benchmarks/bench_evaluate.py`.\n"
    with open(args.out, "a", encoding="utf-8") as handle:
        handle.write(header + section)
    print(section)


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


if __name__ == "__main__":
    main()
