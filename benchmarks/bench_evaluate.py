"""Throughput and peak memory of `a2bench` scoring the full metric set, against a reference pipeline and against
the bare forward time of its own networks.

Usage: python benchmarks/bench_evaluate.py [--videos 12] [--frames 32] [--size 256] [--width W] [--device cpu]
       [--protocol animatex-paper] [--workers N] [--phases ...] [--out benchmarks/RESULTS.md] [--json FILE]
A²Bench size: --videos 100 --frames 32 --size 768 --width 512 (frames 768 high, 512 wide).

Phases (each in a fresh process, so each peak memory is its own):
- `ours-first`: a2bench's scorer (what `a2bench evaluate` runs), empty feature cache, method A;
- `ours-rescore`: method B against the same cache (ground-truth features are reused);
- `floor`: the same networks, built and run as a2bench runs them, on random inputs of the shapes and counts
  first scoring feeds them, with no decoding, preprocessing, hashing or statistics: the network floor;
- `reference`: the reference packages used as their READMEs and the DisCo scripts use them, for the same
  protocol: frames written to disk as PNG, one pass per metric, batch 1 where DisCo uses 1. FID runs clean-fid
  "clean" mode (animatex-paper, as DisCo's metric script) or pytorch-fid's entry point (a2bench-v1), batched as
  those packages batch; FVD reads DisCo's every 16-frame window (animatex-paper) or one StyleGAN-V clip;
- `ours-quarter`: first scoring of a quarter of the videos: peak memory at 4× the videos must stay flat.
Weights are random-initialised (`a2bench weights init-random`): timings are real, values uncalibrated.
Needs the `bench` extra (clean-fid): pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from multiprocessing import get_context
from pathlib import Path

import numpy as np

METRICS = ("psnr", "ssim", "l1", "lpips", "fid", "fid_vid", "fvd")
PHASES = ("ours-first", "ours-rescore", "floor", "reference", "ours-quarter")


def _write_case(folder: Path, index: int, videos: int, frames: int, height: int, width: int) -> None:
    import cv2

    from a2bench.data.synth.suite import SynthConfig, generate_case
    from a2bench.video.io import write_video

    size = min(height, width)
    config = SynthConfig("bench", cases=videos, frames=frames, size=size, fps=8, styles=("dance", "walk"), seed=7)
    case = generate_case(config, index)
    gt = case.video if (height, width) == (size, size) else np.stack([cv2.resize(f, (width, height))
                                                                     for f in case.video])
    rng = np.random.default_rng(index)
    shifted = np.roll(gt, 3, axis=2).astype(np.int16) + rng.integers(-8, 9, gt.shape, dtype=np.int16)
    blurred = np.stack([cv2.GaussianBlur(frame, (5, 5), 1.5) for frame in gt])
    write_video(folder / "gt" / f"{case.case_id}.mp4", gt)
    write_video(folder / "method_a" / f"{case.case_id}.mp4", np.clip(shifted, 0, 255).astype(np.uint8))
    write_video(folder / "method_b" / f"{case.case_id}.mp4", blurred)


def workload(folder: Path, videos: int, frames: int, height: int, width: int, jobs: int = 1) -> None:
    """Ground truth from the synthetic generator (resized to width × height when not square); method A shifted by
    3 px plus noise, method B blurred; written as H.264 MP4 by `jobs` processes."""
    tasks = [(folder, index, videos, frames, height, width) for index in range(videos)]
    if jobs <= 1:
        for task in tasks:
            _write_case(*task)
        return
    with get_context("spawn").Pool(jobs) as pool:
        pool.starmap(_write_case, tasks)


def _context(work: Path, device: str, batch_size: int, workers: int) -> object:
    from a2bench.metrics.base import MetricContext

    return MetricContext(device=device, batch_size=batch_size, weights_dir=work / "weights", cache_dir=work / "cache",
                         workers=workers)


def run_ours(work: Path, method: str, protocol: str, device: str, batch_size: int, workers: int) -> dict:
    """Score with a2bench's library path (what `a2bench evaluate` runs); values and seconds per stage."""
    from a2bench.metrics import get_protocol
    from a2bench.metrics.cache import FeatureCache
    from a2bench.pairs import match_folders
    from a2bench.scoring import Scorer, score_pairs

    context = _context(work, device, batch_size, workers)
    chosen = get_protocol(protocol)
    scorer = Scorer(chosen, chosen.resolve(METRICS), context, cache=FeatureCache(work / "cache"))
    assert not scorer.skipped, scorer.skipped
    outcome = score_pairs(match_folders(work / method, work / "gt"), scorer, workers=workers)
    values = {name: float(np.mean([case.values[name] for case in outcome.cases])) for name in outcome.cases[0].values}
    values.update({name: entry["value"] for name, entry in outcome.distribution.items()})
    names = {metric.extractor().key: metric.name for metric in scorer.distribution_metrics}
    stages = {names.get(key, key): seconds for key, seconds in scorer.seconds.items()}
    return {"values": values, "stages": stages, "execution": scorer.context.notes.get("execution", {})}


def synchronized_seconds(run: Callable[[], object], device: str) -> float:
    """Wall-clock seconds of `run()`, with the GPU's queued work finished before and after on CUDA."""
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()
    started = time.perf_counter()
    run()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - started


def run_floor(work: Path, protocol: str, device: str, batch_size: int, videos: int, frames: int, height: int,
              width: int) -> dict:
    """Bare forward time of the protocol's networks, built, laid out and batched as a2bench runs them, on random
    inputs of the shapes and counts first scoring feeds them (prediction and ground truth of every video)."""
    from a2bench.metrics import get_protocol
    from a2bench.metrics.runtime import forward, upload
    from a2bench.scoring import Scorer

    context = _context(work, device, batch_size, 0)
    chosen = get_protocol(protocol)
    scorer = Scorer(chosen, chosen.resolve(METRICS), context)
    rng = np.random.default_rng(0)
    stages: dict[str, float] = {}

    def timed(name: str, run: Callable[[], object]) -> None:
        stages[name] = stages.get(name, 0.0) + synchronized_seconds(run, device)

    frames_uint8 = rng.integers(0, 256, (frames, height, width, 3), dtype=np.uint8)
    lpips = next(m for m in scorer.case_metrics if m.name == "lpips")
    shapes = {"fid": (frames, 3, 299, 299), "fid_vid": (math.ceil(frames / 16), 3, 16, 112, 112),
              "fvd": ((frames - 15) if protocol == "animatex-paper" else 1, 3, 16, 224, 224)}
    for _ in range(videos):
        timed("lpips", lambda: lpips.per_frame(frames_uint8, frames_uint8))
        for metric in scorer.distribution_metrics:
            extractor = metric.extractor()
            block = rng.uniform(-1, 1, shapes[metric.name]).astype(np.float32)
            for _role in ("pred", "gt"):
                timed(metric.name, lambda e=extractor, b=block: forward(e.run, (upload(b, context),), context, e.items)
                      .double().cpu().numpy())
    return {"values": {}, "stages": stages}


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


def scipy_sqrtm_shim() -> list[str]:
    """Give pytorch-fid and clean-fid, and only them, the `scipy.linalg.sqrtm(A, disp=False)` they call when the
    installed SciPy no longer has `disp` (removed in SciPy 1.18): the same root and the error estimate SciPy
    returned with it, ‖X·X − A‖²_F / ‖A‖_F. The reference packages stay as published; scipy.linalg itself is not
    changed. Returns a note for the results when the shim is used, nothing otherwise."""
    import inspect
    import types

    import scipy
    from cleanfid import fid as cleanfid
    from pytorch_fid import fid_score
    from scipy import linalg

    try:
        has_disp = "disp" in inspect.signature(linalg.sqrtm).parameters
    except (TypeError, ValueError):  # no signature to read: ask the function itself
        try:
            linalg.sqrtm(np.eye(2), disp=False)
            has_disp = True
        except TypeError:
            has_disp = False
    if has_disp:
        return []

    def sqrtm(matrix: object, disp: bool = True, **options: object) -> object:
        root = linalg.sqrtm(matrix, **options)
        if disp:
            return root
        try:  # SciPy ≤ 1.17's error estimate, returned with the root when disp=False
            error = linalg.norm(root @ root - matrix, "fro") ** 2 / linalg.norm(matrix, "fro")
        except ValueError:  # NaNs in the matrix
            error = np.inf
        return root, error

    proxy = types.ModuleType("scipy.linalg", "scipy.linalg with sqrtm(A, disp=False) for the reference packages")
    proxy.__dict__.update({k: v for k, v in vars(linalg).items() if not k.startswith("__")})
    proxy.sqrtm = sqrtm
    for module in (fid_score, cleanfid):
        module.linalg = proxy
    return [f"SciPy {scipy.__version__} has no sqrtm(disp=...): pytorch-fid and clean-fid called through a shim "
            "that returns (root, error estimate) as SciPy <= 1.17 did (benchmarks/bench_evaluate.py "
            "scipy_sqrtm_shim)"]


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
    # OpenCV before decord: decord loads its bundled zlib 1.2.3 into the global namespace, and an OpenCV loaded
    # after it neither reads nor writes PNG ("libpng error: bad parameters to zlib"; the reference reads the
    # frames with cv2.imread, and a2bench's decoder is decord wherever it is installed).
    import cv2  # noqa: F401

    from a2bench.metrics.frechet import frechet_distance_features

    weights, frames = work / "weights", work / "reference_frames"
    shutil.rmtree(frames, ignore_errors=True)  # another protocol's (or a stopped) run on the same workload
    compatibility = scipy_sqrtm_shim()
    stages = Stages()
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
    return {"values": values, "stages": stages.seconds, **({"compatibility": compatibility} if compatibility else {})}


def child(args: argparse.Namespace) -> None:
    """Run one phase and print its timing and peak memory (host RSS, and GPU when on CUDA) as JSON."""
    work = Path(args.work)
    start = time.perf_counter()
    if args.phase == "reference":
        outcome = run_reference(work, "method_a", args.protocol, args.device)
    elif args.phase == "floor":
        outcome = run_floor(work, args.protocol, args.device, args.batch_size, args.videos, args.frames, args.size,
                            args.width or args.size)
    else:
        outcome = run_ours(work, "method_b" if args.phase == "ours-rescore" else "method_a", args.protocol,
                           args.device, args.batch_size, args.workers)
    seconds = time.perf_counter() - start
    gpu_peak = None
    if args.device.startswith("cuda"):
        import torch

        gpu_peak = torch.cuda.max_memory_allocated() / 2**20
    print(json.dumps({"seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "peak_gpu_mb": gpu_peak, **outcome}))


class PhaseError(RuntimeError):
    """A phase's process failed or ran past its time limit; `stderr` is the tail of what it wrote there."""

    def __init__(self, message: str, stderr: str = "", timed_out: bool = False) -> None:
        super().__init__(f"{message}:\n{stderr}" if stderr else message)
        self.summary, self.stderr, self.timed_out = message, stderr, timed_out

    def one_line(self) -> str:
        """The phase's own last error line (e.g. `TypeError: …`) after the summary; the summary alone for a phase
        stopped at its time limit, or one that wrote nothing."""
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        return f"{self.summary}: {lines[-1]}" if lines and not self.timed_out else self.summary


def phase(name: str, work: Path, args: argparse.Namespace, timeout: float | None = None) -> dict:
    """Run one phase in a fresh process; with `timeout`, the process and every process it started are killed
    after that many seconds and PhaseError says so."""
    command = [sys.executable, __file__, "--phase", name, "--work", str(work), "--device", args.device,
               "--protocol", args.protocol, "--batch-size", str(args.batch_size), "--workers", str(args.workers),
               "--videos", str(args.videos), "--frames", str(args.frames), "--size", str(args.size)]
    if args.width:
        command += ["--width", str(args.width)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the phase and its worker processes
        try:
            _, stderr = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # a process outside the group still holds the pipes
            process.kill()
            stderr = ""
        raise PhaseError(f"phase {name} killed at its time limit of {timeout:.0f} s",
                         stderr[-4000:], timed_out=True) from None
    if process.returncode != 0:
        raise PhaseError(f"phase {name} failed (exit status {process.returncode})", stderr[-4000:])
    return json.loads(stdout.strip().splitlines()[-1])


def parser() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--videos", type=int, default=12)
    options.add_argument("--frames", type=int, default=32)
    options.add_argument("--size", type=int, default=256, help="frame height (and width unless --width)")
    options.add_argument("--width", type=int, help="frame width, e.g. --size 768 --width 512 for A²Bench's frames")
    options.add_argument("--device", default="cpu")
    options.add_argument("--protocol", default="animatex-paper")
    options.add_argument("--batch-size", type=int, default=16)
    options.add_argument("--workers", type=int, default=max(0, (os.cpu_count() or 1) - 1),
                         help="host worker processes of a2bench's scorer (default: cores − 1)")
    options.add_argument("--phases", default=",".join(PHASES), help="comma-separated subset of " + ", ".join(PHASES))
    options.add_argument("--out", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    options.add_argument("--json", type=Path, help="also write the figures here")
    options.add_argument("--phase", help=argparse.SUPPRESS)
    options.add_argument("--work", help=argparse.SUPPRESS)
    return options


def measure(args: argparse.Namespace) -> dict[str, dict]:
    """Make the workload, run the chosen phases, return their figures."""
    from a2bench.weights.random_init import init_random

    chosen = [name for name in args.phases.split(",") if name]
    jobs = max(1, os.cpu_count() or 1)
    with tempfile.TemporaryDirectory(prefix="a2bench-bench-") as tmp:
        work, small = Path(tmp) / "n", Path(tmp) / "quarter"
        init_random(work / "weights", seed=0)
        workload(work, args.videos, args.frames, args.size, args.width or args.size, jobs)
        results = {name: phase(name, work, args) for name in chosen if name != "ours-quarter"}
        if "ours-quarter" in chosen:
            (small / "weights").parent.mkdir(parents=True)
            (small / "weights").symlink_to(work / "weights")
            workload(small, max(1, args.videos // 4), args.frames, args.size, args.width or args.size, jobs)
            results["ours-quarter"] = phase("ours-first", small, args)
    return results


def main() -> None:
    args = parser().parse_args()
    if args.phase:
        child(args)
        return
    results = measure(args)
    write_report(args, results)
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "results": results},
                                        indent=1) + "\n", encoding="utf-8")


def summary(results: dict[str, dict]) -> dict[str, float]:
    """The target figures from the phases that ran."""
    figures: dict[str, float] = {}
    first = results.get("ours-first")
    if first and "reference" in results:
        figures["speedup_vs_reference"] = results["reference"]["seconds"] / first["seconds"]
    if first and "ours-rescore" in results:
        figures["rescore_speedup"] = first["seconds"] / results["ours-rescore"]["seconds"]
    if first and "floor" in results:
        figures["total_over_network_floor"] = first["seconds"] / sum(results["floor"]["stages"].values())
    if first and "ours-quarter" in results:
        figures["memory_ratio_4x"] = first["peak_rss_mb"] / results["ours-quarter"]["peak_rss_mb"]
    return figures


def write_report(args: argparse.Namespace, results: dict[str, dict]) -> None:
    """Append a dated section with the figures, the machine and the command to RESULTS.md."""
    import torch

    n = args.videos
    rate = {name: (max(1, n // 4) if name == "ours-quarter" else n) / r["seconds"] for name, r in results.items()}
    rows = "\n".join(f"| {name} | {r['seconds']:.1f} | {rate[name]:.3f} | {r['peak_rss_mb']:.0f} | "
                     f"{_megabytes(r.get('peak_gpu_mb'))} |" for name, r in results.items())
    figures = summary(results)
    targets = {"speedup_vs_reference": ("first scoring vs reference pipeline", "×", "≥ 3×"),
               "rescore_speedup": ("re-scoring against cached ground-truth features, faster than first", "×", "≥ 2×"),
               "total_over_network_floor": ("a2bench's total over its bare network forward time", "×", "≤ 1.15×"),
               "memory_ratio_4x": (f"peak RSS, {n} videos vs {max(1, n // 4)}", "×", "≤ 1.2×")}
    lines = "\n".join(f"- {targets[k][0]}: **{v:.2f}{targets[k][1]}** (target {targets[k][2]})"
                      for k, v in figures.items())
    phases = [p for p in ("ours-first", "ours-rescore", "floor", "reference") if p in results]
    stage_names = dict.fromkeys(name for p in phases for name in results[p]["stages"])
    stages = "\n".join(f"| {stage} | " + " | ".join(_seconds(results[p]["stages"].get(stage)) for p in phases)
                       + " |" for stage in stage_names)
    values = ""
    if "ours-first" in results and "reference" in results:
        ours, reference = results["ours-first"]["values"], results["reference"]["values"]
        values = "\n\nValues, method A (ours, first scoring, vs the reference pipeline, same weights):\n\n" \
                 "| metric | a2bench | reference |\n| --- | ---: | ---: |\n" + "\n".join(
                     f"| {m} | {ours.get(m, float('nan')):.6g} | {reference.get(m, float('nan')):.6g} |"
                     for m in METRICS)
    width_option = f" --width {args.width}" if args.width else ""
    device = torch.cuda.get_device_name() if args.device.startswith("cuda") else platform.processor() or "cpu"
    execution = results.get("ours-first", {}).get("execution", {})
    shims = "".join(f"\nCompatibility: {note}." for note in results.get("reference", {}).get("compatibility", []))
    section = f"""
## {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} — {args.videos} videos × {args.frames} frames at \
{args.width or args.size}×{args.size} (W×H), {args.device}, protocol {args.protocol}

Machine: {platform.platform()}, {device}, {os.cpu_count()} cores, torch {torch.__version__}; a2bench with \
{args.workers} host worker processes; execution {json.dumps(execution)}. Command: \
`python benchmarks/bench_evaluate.py --videos {args.videos} --frames {args.frames} --size {args.size}\
{width_option} --device {args.device} --protocol {args.protocol} --workers {args.workers} --phases {args.phases}`.
Weights: random-initialised (UNCALIBRATED values; timings are real).{shims}

| phase | seconds | videos/s | peak RSS (MB) | peak GPU (MB) |
| --- | ---: | ---: | ---: | ---: |
{rows}

{lines}

Seconds per stage (a2bench: time inside each metric and network pass, host stages summed over the worker
processes that ran them alongside; floor: bare forward passes; reference: each pass, including its own reads
of the PNG frames):

| stage | {' | '.join(phases)} |
| --- |{' ---: |' * len(phases)}
{stages}{values}
"""
    header = "" if args.out.exists() else "# Benchmark results\n\nWritten by `benchmarks/bench_evaluate.py`.\n"
    with open(args.out, "a", encoding="utf-8") as handle:
        handle.write(header + section)
    print(section)


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _megabytes(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


if __name__ == "__main__":
    main()
