"""Every GPU check of a2bench in one go, within a time budget (benchmarks/gpu/README.md):

1. batch composition on CUDA: each network's output for an item is bit-identical alone (padded) and among
   other items at several positions of the fixed exact batch shape;
2. both protocols at A²Bench size (100 predicted + 100 ground-truth videos, 32 frames, 768×512 H×W): first
   scoring, re-scoring with cached ground truth, and the bare network forward floor, with peak GPU memory;
3. the reference pipeline on the same GPU (a smaller workload, the same for a2bench, for a like-for-like ratio);
4. the Fréchet distances and their 200-resample bootstrap at A²Bench size in float64 on the GPU (what a run on
   a data-centre GPU does; 20 resamples timed), and their agreement with the host's numpy steps.
Writes gpu_results.json and RESULTS-gpu.md into --out (again after every step). Weights are random-initialised:
timings are real, values uncalibrated.

The budget counts from the start of run.sh ($A2BENCH_GPU_CHECK_T0), or of this script, and covers everything:
the steps run in PLAN's order (the issue's targets first), each admitted only when its estimate fits what is
left, and each stopped where the budget ends (a phase's process group is killed; an in-process step is
interrupted). A step that would not fit is listed as skipped; one that fails or is stopped is listed as failed,
with its error, and the others still run; the exit status is 1 when any step failed.
"""

from __future__ import annotations

import time

T0 = time.time()  # before the imports: they count against the budget too

import argparse  # noqa: E402
import contextlib  # noqa: E402
import copy  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import traceback  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench_evaluate import PHASES, PhaseError, parser, phase, summary, workload  # noqa: E402
from tree_digest import tree_digest  # noqa: E402

PAPER, V1 = "animatex-paper", "a2bench-v1"
MARGIN = 10  # seconds between a step's forced stop and the end of the budget: the last save and clean-up

# Seconds each step is expected to take on the H200 machine (16 cores). A step starts only when its estimate (and
# its partner's: a2bench at 12 videos is only worth running when the reference after it fits too) is left.
# Re-scoring and the floor never take longer than first scoring of the same protocol: once that is measured, the
# smaller of the two is their estimate.
ESTIMATES = {"weights": 30, "workload@100": 60, "workload@12": 15, "batch identity": 30, "set distances": 30,
             "ours-first@100": 60, "ours-first@12": 20, (PAPER, "ours-rescore@100"): 40,
             (V1, "ours-rescore@100"): 25, (PAPER, "floor@100"): 40, (V1, "floor@100"): 25,
             (V1, "reference@12"): 120,
             # the paper reference reads every 16-frame window back from PNG: ~4× a2bench-v1's first scoring of the
             # same videos in the pre-flight, the slowest step by far
             (PAPER, "reference@12"): 240}
# The order: (a) first scoring at A²Bench size per protocol, (c) re-scoring vs first scoring, (b) a2bench vs the
# reference on the same 12 videos, a2bench-v1's reference first (half the paper's); then the other checks.
PLAN = [("workload@100", None), ("ours-first@100", PAPER), ("ours-first@100", V1), ("ours-rescore@100", PAPER),
        ("workload@12", None), ("ours-first@12", V1), ("reference@12", V1), ("batch identity", None),
        ("set distances", None), ("ours-rescore@100", V1), ("floor@100", PAPER), ("floor@100", V1),
        ("ours-first@12", PAPER), ("reference@12", PAPER)]


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

    import scipy
    import torch

    import a2bench

    smi = "no GPU"
    if shutil.which("nvidia-smi"):
        smi = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                             capture_output=True, text=True, check=False).stdout.strip()
    try:
        import decord

        decoder = f"decord {decord.__version__}"
    except Exception as exc:  # a2bench falls back to PyAV
        decoder = f"PyAV (decord: {type(exc).__name__}: {exc})"
    return {"gpu": smi, "torch": torch.__version__, "cudnn": torch.backends.cudnn.version(),
            "python": platform.python_version(), "cores": os.cpu_count(), "numpy": np.__version__,
            "scipy": scipy.__version__, "decoder": decoder, "a2bench": str(Path(a2bench.__file__).parent)}


def wheel_check() -> dict:
    """Whether the a2bench wheel installed from .whl/ was built from this tree's sources (prepare.sh records their
    digest next to the wheel; tree_digest.py)."""
    recorded = HERE.parents[1] / ".whl" / "a2bench-tree.sha256"
    built = recorded.read_text(encoding="utf-8").strip() if recorded.exists() else None
    tree = tree_digest(HERE.parents[1])
    return {"built_from": built, "tree": tree, "wheel_matches_tree": built == tree}


def wheel_warning(wheel: dict) -> str | None:
    if wheel["wheel_matches_tree"]:
        return None
    why = "no digest was recorded with it" if wheel["built_from"] is None else \
        f"built from sources {wheel['built_from'][:12]}, tree is {wheel['tree'][:12]}"
    return (f"WARNING: THE a2bench WHEEL IN .whl/ DOES NOT MATCH THIS TREE ({why}): these figures are the wheel's "
            "code, not this tree's; run benchmarks/gpu/prepare.sh again before the next run")


def one_line(exc: BaseException) -> str:
    if isinstance(exc, PhaseError):
        return exc.one_line()
    return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}".rstrip(": ")


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt an in-process step after `seconds` (SIGALRM), with TimeoutError."""
    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"stopped at its time limit of {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.01))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Steps:
    """Runs each step within the budget, recording its outcome (done, skipped or failed) and saving after each."""

    def __init__(self, results: dict, args: argparse.Namespace) -> None:
        self.results, self.args, self.done = results, args, set()

    def left(self) -> float:
        return self.args.budget - (time.time() - T0)

    def run(self, key: str, action: Callable[[float], object], estimate: float, needs: tuple[str, ...] = ()) -> object:
        """Run `action(seconds it may take)` unless a step it needs did not complete or `estimate` seconds are not
        left; returns its value, or None."""
        missing = [need for need in needs if need not in self.done]
        if missing:
            return self.skip(key, f"needs {', '.join(missing)}, which did not complete")
        if self.left() - MARGIN < estimate:
            return self.skip(key, f"{max(0, self.left() - MARGIN):.0f} s of the budget left for it, estimate "
                                  f"{estimate:.0f} s")
        started = time.time()
        print(f"[{started - T0:5.0f} s] {key} ...", flush=True)
        try:
            value = action(self.left() - MARGIN)
        except Exception as exc:  # recorded; the other steps still run
            seconds = time.time() - started
            self.results["failed"].append({"phase": key, "error": one_line(exc), "seconds": round(seconds, 1)})
            self.timeline(key, started, "failed")
            tail = exc.stderr if isinstance(exc, PhaseError) and exc.stderr else traceback.format_exc()
            print(f"FAILED {key} after {seconds:.0f} s: {one_line(exc)}\n"
                  + "\n".join("    " + line for line in tail.rstrip().splitlines()[-40:]), flush=True)
            save(self.results, self.args)
            return None
        self.done.add(key)
        self.timeline(key, started, "done")
        print(f"[{time.time() - T0:5.0f} s] {key}: {time.time() - started:.1f} s", flush=True)
        save(self.results, self.args)
        return value

    def in_process(self, key: str, action: Callable[[], object], estimate: float,
                   needs: tuple[str, ...] = ()) -> object:
        def limited(seconds: float) -> object:
            with time_limit(seconds):
                return action()

        return self.run(key, limited, estimate, needs)

    def skip(self, key: str, why: str) -> None:
        self.results["skipped"].append(f"{key}: {why}")
        print(f"[{time.time() - T0:5.0f} s] skipped {key}: {why}", flush=True)
        save(self.results, self.args)

    def timeline(self, key: str, started: float, outcome: str) -> None:
        self.results["timeline"].append({"step": key, "at": round(started - T0, 1),
                                         "seconds": round(time.time() - started, 1), "outcome": outcome})


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--out", type=Path, required=True)
    options.add_argument("--budget", type=float, default=550,
                         help="seconds for everything, counted from $A2BENCH_GPU_CHECK_T0 (run.sh's start) if set")
    options.add_argument("--videos", type=int, default=100)
    options.add_argument("--reference-videos", type=int, default=12)
    options.add_argument("--frames", type=int, default=32)
    options.add_argument("--height", type=int, default=768)
    options.add_argument("--width", type=int, default=512)
    options.add_argument("--device", default="cuda", help="cuda (the check); cpu only to try the script itself")
    args = options.parse_args()
    global T0
    T0 = min(T0, float(os.environ.get("A2BENCH_GPU_CHECK_T0", T0)))
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict = {"budget_seconds": args.budget, "environment": environment(), "wheel": wheel_check(),
                     "skipped": [], "failed": [], "timeline": [], "compatibility": [], "protocols": {}}
    warning = wheel_warning(results["wheel"])
    if warning:
        print(f"\n{'!' * 100}\n{warning}\n{'!' * 100}\n", flush=True)
    print(json.dumps(results["environment"]), flush=True)
    steps = Steps(results, args)
    save(results, args)
    workers = max(1, (os.cpu_count() or 2) - 1)
    jobs = os.cpu_count() or 1

    from a2bench.weights.random_init import init_random

    with tempfile.TemporaryDirectory(prefix="a2bench-gpu-") as tmp:
        big, small = Path(tmp) / "full", Path(tmp) / "reference"
        steps.in_process("weights", lambda: init_random(big / "weights", seed=0), ESTIMATES["weights"])
        if "weights" in steps.done:
            (small / "weights").parent.mkdir(parents=True)
            (small / "weights").symlink_to(big / "weights")
        for name, protocol in PLAN:
            videos = args.videos if name.endswith("@100") else args.reference_videos
            key = name.replace("@100", f"@{args.videos}").replace("@12", f"@{args.reference_videos}")
            estimate = ESTIMATES.get((protocol, name), ESTIMATES.get(name))
            if name == "workload@100":
                steps.in_process(key, lambda: workload(big, args.videos, args.frames, args.height, args.width, jobs),
                                 estimate, ("weights",))
            elif name == "workload@12":
                steps.in_process(key, lambda: workload(small, args.reference_videos, args.frames, args.height,
                                                       args.width, jobs),
                                 estimate + ESTIMATES["ours-first@12"] + ESTIMATES[(V1, "reference@12")], ("weights",))
            elif name == "batch identity":
                value = steps.in_process(key, lambda: batch_identity(big / "weights", args.device), estimate,
                                         ("weights",))
                if value is not None:
                    results["batch_identity"] = value
            elif name == "set distances":
                value = steps.in_process(key, lambda: set_distances(args.device, args.videos, args.frames), estimate)
                if value is not None:
                    results["set_distances"] = value
            else:
                run_phase(steps, protocol, name.split("@")[0], key, big if videos == args.videos else small, videos,
                          estimate, workers)
    failed = [entry["phase"] for entry in results["failed"]]
    results["total_seconds"] = time.time() - T0
    print(save(results, args))
    if warning:
        print(f"\n{'!' * 100}\n{warning}\n{'!' * 100}", flush=True)
    if failed:
        print(f"{len(failed)} step(s) failed: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


def run_phase(steps: Steps, protocol: str, name: str, key: str, work: Path, videos: int, estimate: float,
              workers: int) -> None:
    """One bench_evaluate phase in its own process, stopped where the budget ends."""
    args = steps.args
    label = f"{protocol} {key}"
    workload_key = f"workload@{videos}"
    needs = (workload_key,)
    if name == "ours-rescore":  # against the ground-truth features first scoring cached
        needs += (f"{protocol} ours-first@{videos}",)
    if name == "ours-first" and videos == args.reference_videos:  # only worth it when the reference fits after it
        estimate += ESTIMATES[(protocol, "reference@12")]
    first = steps.results["protocols"].get(protocol, {}).get(f"ours-first@{videos}")
    if name == "reference" and first:  # a2bench meeting the 3× target means the reference takes 3× its first scoring
        estimate = max(estimate, 3 * first["seconds"])
    if name in ("ours-rescore", "floor") and first:
        estimate = min(estimate, first["seconds"])
    bench = parser().parse_args(["--device", args.device, "--protocol", protocol, "--videos", str(videos),
                                 "--frames", str(args.frames), "--size", str(args.height), "--width",
                                 str(args.width), "--workers", str(workers), "--phases", ",".join(PHASES)])
    value = steps.run(label, lambda seconds: phase(name, work, bench, timeout=seconds), estimate, needs)
    if value is not None:
        steps.results["protocols"].setdefault(protocol, {})[key] = value
        steps.results["compatibility"] += [f"{label}: {note}" for note in value.get("compatibility", [])]
        save(steps.results, args)


def save(results: dict, args: argparse.Namespace) -> str:
    """Write gpu_results.json and RESULTS-gpu.md from what has been measured so far (called after every step,
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
    """The RESULTS.md section: environment, batch identity, seconds and the target figures per protocol, what
    failed and what was skipped, and the timeline of the steps."""
    env, wheel = results["environment"], results["wheel"]
    lines = [f"## {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} — GPU check: {env['gpu']}", ""]
    warning = wheel_warning(wheel)
    if warning:
        lines += [f"**{warning}.**", ""]
    lines += [f"torch {env['torch']}, cuDNN {env['cudnn']}, Python {env['python']}, numpy {env['numpy']}, SciPy "
              f"{env['scipy']}, {env['cores']} cores, decoder {env['decoder']}; a2bench from {env['a2bench']} (wheel "
              f"built from sources {str(wheel['built_from'])[:12]}, wheel_matches_tree: {wheel['wheel_matches_tree']});"
              f" A²Bench size: {args.videos} videos × {args.frames} frames at {args.width}×{args.height} (W×H); "
              f"reference pipeline at {args.reference_videos} videos. Random-initialised weights (UNCALIBRATED values;"
              f" timings are real). Command: `bash benchmarks/gpu/run.sh` (benchmarks/gpu/README.md), budget "
              f"{results['budget_seconds']:.0f} s."]
    if results["failed"]:
        lines += ["", "**Failed** (the other steps ran; details in log.txt):", "",
                  *(f"- {entry['phase']} (after {entry['seconds']:.0f} s): `{entry['error']}`"
                    for entry in results["failed"])]
    if "batch_identity" in results:
        lines += ["", "| batch composition (exact, CUDA) | bit-identical | max abs difference |",
                  "| --- | --- | ---: |"]
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
    lines += ["", "Targets (issue 12):", "", *targets(results, args)]
    if results["compatibility"]:
        lines += ["", *(f"Compatibility: {note}." for note in results["compatibility"])]
    total = results["total_seconds"]
    lines += ["", f"Skipped: {'; '.join(results['skipped']) or 'nothing'}. Failed: "
              f"{', '.join(entry['phase'] for entry in results['failed']) or 'nothing'}. "
              + (f"Total {total:.0f} s" if total is not None else "Still running when written")
              + " from run.sh's start.", "", "| step | started at (s) | seconds | outcome |",
              "| --- | ---: | ---: | --- |",
              *(f"| {e['step']} | {e['at']:.0f} | {e['seconds']:.1f} | {e['outcome']} |" for e in results["timeline"]),
              ""]
    return "\n".join(lines)


def targets(results: dict, args: argparse.Namespace) -> list[str]:
    """Each target of issue 12 from the phases that ran: met, NOT met, or not measured."""
    def verdict(text: str, value: float | None, unit: str, met: Callable[[float], bool]) -> str:
        if value is None:
            return f"- {text}: not measured"
        return f"- {text}: {value:.2f}{unit}, {'met' if met(value) else 'NOT met'}"

    lines = []
    for protocol in (PAPER, V1):
        entry = results["protocols"].get(protocol, {})
        lines.append(verdict(f"(a) {protocol}, first scoring of {args.videos} videos under 60 s",
                             entry.get(f"ours-first@{args.videos}", {}).get("seconds"), " s", lambda v: v < 60))
    for protocol in (PAPER, V1):
        figures = results["protocols"].get(protocol, {}).get("figures", {})
        lines.append(verdict(f"(b) {protocol}, at least 3× the reference on the same {args.reference_videos} videos",
                             figures.get(f"speedup_vs_reference (at {args.reference_videos} videos)"), "×",
                             lambda v: v >= 3))
    for protocol in (PAPER, V1):
        figures = results["protocols"].get(protocol, {}).get("figures", {})
        lines.append(verdict(f"(c) {protocol}, re-scoring at least 2× faster than first scoring",
                             figures.get("rescore_speedup"), "×", lambda v: v >= 2))
    return lines


if __name__ == "__main__":
    sys.exit(main())
