"""Exact mode's fixed batch shape: an item's output does not depend on its neighbours or its position in the
batch (bit for bit), and scores do not depend on worker processes, case order or how videos are grouped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from a2bench.metrics import get_protocol, runtime
from a2bench.metrics.base import MetricContext
from a2bench.metrics.runtime import forward
from a2bench.results import build_results
from a2bench.scoring import Scorer, VideoPair, score_pairs
from a2bench.video.io import write_video
from a2bench.weights.registry import WEIGHTS

SHAPE = 4  # a fixed batch shape larger than CPU's default, so neighbours and padding really occur


def _outputs_of_item_zero(network: object, items: torch.Tensor, context: MetricContext) -> list[torch.Tensor]:
    """Item 0's output alone (padded), among neighbours at every position, and with the batch full."""
    others = items[1:]
    results = [forward(network, (items[:1],), context)[0]]
    for position in range(SHAPE):
        batch = torch.cat([others[:position], items[:1], others[position:SHAPE - 1]])
        results.append(forward(network, (batch,), context)[position])
    return results


def _networks(weights: Path, context: MetricContext) -> dict[str, tuple[object, torch.Tensor]]:
    from a2bench.metrics.networks.i3d import load_i3d
    from a2bench.metrics.networks.inception import load_fid_inception
    from a2bench.metrics.networks.resnet3d import load_resnet3d50

    rng = np.random.default_rng(3)

    def noise(*shape: int) -> torch.Tensor:
        return torch.from_numpy(rng.uniform(-1, 1, size=shape).astype(np.float32))

    return {
        "fid-inception": (load_fid_inception(weights / WEIGHTS["fid-inception"].filename), noise(5, 3, 299, 299)),
        "i3d": (runtime.for_execution(load_i3d(weights / WEIGHTS["i3d-kinetics400"].filename, variant="disco"),
                                      context), noise(5, 3, 16, 224, 224)),
        "resnet3d": (load_resnet3d50(weights / WEIGHTS["resnet3d50-kinetics"].filename), noise(5, 3, 16, 112, 112)),
    }


@pytest.mark.slow
def test_features_are_bit_identical_whatever_the_neighbours_and_position(random_weights: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    for items in ("frames", "clips"):
        monkeypatch.setitem(runtime.EXACT_BATCH, ("cpu", items), SHAPE)
    context = MetricContext(device="cpu", weights_dir=random_weights)
    for name, (network, items) in _networks(random_weights, context).items():
        outputs = _outputs_of_item_zero(network, items, context)
        assert all(torch.equal(outputs[0], other) for other in outputs[1:]), name


def test_lpips_pairs_are_bit_identical_whatever_the_neighbours(random_weights: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    for items in ("frames", "clips"):
        monkeypatch.setitem(runtime.EXACT_BATCH, ("cpu", items), SHAPE)
    metric = get_protocol("a2bench-v1").get_metric("lpips")
    metric.prepare(MetricContext(device="cpu", weights_dir=random_weights))
    frames = np.random.default_rng(4).integers(0, 256, (5, 2, 40, 48, 3), dtype=np.uint8)
    pred, gt = frames[:, 0], frames[:, 1]
    alone = metric.per_frame(pred[:1], gt[:1])[0]
    for position in range(SHAPE):
        order = [*range(1, position + 1), 0, *range(position + 1, SHAPE)]
        assert metric.per_frame(pred[order], gt[order])[position] == alone


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> list[VideoPair]:
    folder = tmp_path_factory.mktemp("grouping")
    rng = np.random.default_rng(8)
    made = []
    for index in range(3):
        gt = np.repeat(np.repeat(rng.integers(0, 256, (16, 5, 6, 3), dtype=np.uint8), 8, 1), 8, 2)
        pred = np.clip(gt.astype(int) + rng.integers(-30, 31, gt.shape), 0, 255).astype(np.uint8)
        made.append(VideoPair(f"case{index}", write_video(folder / f"pred{index}", pred),
                              write_video(folder / f"gt{index}", gt), write_video(folder / f"ref{index}", gt[:1])
                              / "00000.png"))
    return made


def _scores(pairs: list[VideoPair], weights: Path, workers: int, threads: int | None = None) -> dict:
    protocol = get_protocol("a2bench-v1")  # a host-stage, a per-case network, a CLIP and a distribution metric
    metrics = protocol.resolve(["psnr", "ssim", "lpips", "clip_identity", "fvd"])
    context = MetricContext(device="cpu", weights_dir=weights, workers=workers, threads=threads)
    outcome = score_pairs(pairs, Scorer(protocol, metrics, context, bootstrap_resamples=10), workers=workers)
    assert not outcome.skipped, outcome.skipped
    return build_results(protocol, None, {}, {"m": outcome}, metrics)["methods"]["m"]


@pytest.mark.slow
def test_scores_do_not_depend_on_workers_or_case_order(pairs: list[VideoPair], random_weights: Path) -> None:
    """Worker processes and case order change nothing, bit for bit: with the thread count held, and with the
    default one (which does not depend on --workers)."""
    held = _scores(pairs, random_weights, workers=0, threads=1)
    assert _scores(list(reversed(pairs)), random_weights, workers=2, threads=1) == held
    assert _scores(list(reversed(pairs)), random_weights, workers=2) == _scores(pairs, random_weights, workers=0)


def test_bootstrap_intervals_are_the_same_whatever_the_parallelism() -> None:
    from a2bench.casework import HostPool
    from a2bench.metrics.bootstrap import distribution_ci
    from a2bench.metrics.frechet import FrechetDistance

    rng = np.random.default_rng(12)
    pred = [rng.normal(size=(3, 24)) + index for index in range(9)]
    gt = [rng.normal(size=(3, 24)) for _ in range(9)]
    distance = FrechetDistance(ddof=1)
    serial = distribution_ci(pred, gt, distance, seed=4, resamples=30)
    with HostPool(2) as pool:
        parallel = distribution_ci(pred, gt, distance, seed=4, resamples=30, pool=pool)
    assert serial is not None and parallel == serial


def test_network_threads_do_not_depend_on_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 6)
    assert {runtime.cpu_threads(MetricContext(device="cpu", workers=w)) for w in (0, 1, 5)} == {6}
    assert runtime.cpu_threads(MetricContext(device="cpu", workers=5, threads=2)) == 2


@pytest.mark.parametrize(("capability", "on_gpu"), [((9, 0), True), ((8, 0), True), ((10, 0), True),
                                                   ((8, 9), False), ((8, 6), False), ((7, 5), False),
                                                   ((10, 3), False), ((12, 0), False)])
def test_set_distances_run_on_a_gpu_with_fast_float64(monkeypatch: pytest.MonkeyPatch,
                                                       capability: tuple[int, int], on_gpu: bool) -> None:
    """On a data-centre GPU (float64 at half the float32 rate) the Fréchet distances and their bootstrap run
    there; on other GPUs (1/32 to 1/64) and on the CPU in numpy on the host, where resamples go to the worker
    processes. The capability is faked: no GPU is needed."""
    from a2bench.metrics.base import MetricContext
    from a2bench.metrics.frechet import FrechetDistance
    from a2bench.scoring import placed_distance

    asked = []
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device: asked.append(device) or capability)
    assert placed_distance(FrechetDistance(0), MetricContext(device="cpu")) == FrechetDistance(0)
    assert not asked
    placed = placed_distance(FrechetDistance(0), MetricContext(device="cuda:1"))
    assert placed == (FrechetDistance(0, "cuda:1") if on_gpu else FrechetDistance(0))
    assert asked == [torch.device("cuda:1")]


def test_provenance_records_the_batch_size_only_where_it_is_used() -> None:
    assert "batch_size" not in MetricContext(batch_size=4).provenance()
    assert MetricContext(batch_size=4, fast=True).provenance()["batch_size"] == 4
