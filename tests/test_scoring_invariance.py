"""Scoring results do not depend on batch size, decode workers or case order; missing inputs skip cleanly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from a2bench.metrics import get_protocol, resolve_metrics
from a2bench.metrics.base import MetricContext
from a2bench.results import build_results
from a2bench.scoring import Scorer, VideoPair, score_pairs
from a2bench.video.io import write_video

METRICS = ("psnr", "ssim", "l1", "lpips", "clip_temporal", "fid", "fid_vid", "fvd")
RNG = np.random.default_rng(21)


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> list[VideoPair]:
    folder = tmp_path_factory.mktemp("videos")
    made = []
    for index in range(3):
        gt = np.repeat(np.repeat(RNG.integers(0, 256, (16, 6, 8, 3), dtype=np.uint8), 8, 1), 8, 2)
        pred = np.clip(gt.astype(int) + RNG.integers(-40, 41, gt.shape), 0, 255).astype(np.uint8)
        made.append(VideoPair(f"case{index}", write_video(folder / f"pred{index}", pred),
                              write_video(folder / f"gt{index}", gt)))
    return made


def score(pairs: list[VideoPair], weights: Path, batch_size: int, workers: int) -> dict:
    protocol = get_protocol("animatex-paper")
    metrics = resolve_metrics(protocol.id, METRICS)
    scorer = Scorer(protocol, metrics, MetricContext(batch_size=batch_size, weights_dir=weights),
                    bootstrap_resamples=20)
    outcome = score_pairs(pairs, scorer, workers=workers)
    assert not outcome.skipped
    return build_results(protocol, None, {}, {"m": outcome}, metrics)["methods"]["m"]


@pytest.mark.slow
def test_batch_size_workers_and_case_order_do_not_change_results(pairs: list[VideoPair],
                                                                 random_weights: Path) -> None:
    reference = score(pairs, random_weights, batch_size=16, workers=0)
    varied = score(list(reversed(pairs)), random_weights, batch_size=1, workers=2)
    for name in METRICS:
        expected, actual = reference["metrics"][name], varied["metrics"][name]
        assert actual["value"] == pytest.approx(expected["value"], rel=1e-6), name
        assert actual["n"] == expected["n"] == 3
        assert actual["ci95"] == pytest.approx(expected["ci95"], rel=1e-6), name
    assert reference["per_case"].keys() == varied["per_case"].keys()


def test_missing_weights_skip_the_metric_with_the_fetch_command(pairs: list[VideoPair], tmp_path: Path) -> None:
    protocol = get_protocol("animatex-paper")
    metrics = resolve_metrics(protocol.id, ("psnr", "fid"))
    outcome = score_pairs(pairs, Scorer(protocol, metrics, MetricContext(weights_dir=tmp_path / "empty")))
    assert "a2bench weights fetch fid-inception" in outcome.skipped["fid"]
    entry = build_results(protocol, None, {}, {"m": outcome}, metrics)["methods"]["m"]["metrics"]
    assert entry["fid"]["value"] is None and entry["fid"]["skipped"]
    assert entry["psnr"]["value"] > 0


def test_clip_identity_without_references_is_skipped_not_zero(pairs: list[VideoPair], random_weights: Path) -> None:
    protocol = get_protocol("a2bench-v1")
    metrics = resolve_metrics(protocol.id, ("psnr", "clip_identity"))
    outcome = score_pairs(pairs, Scorer(protocol, metrics, MetricContext(weights_dir=random_weights)))
    assert "reference" in outcome.skipped["clip_identity"]
    results = build_results(protocol, None, {}, {"m": outcome}, metrics)["methods"]["m"]
    assert results["metrics"]["clip_identity"]["value"] is None
    assert all("clip_identity" not in values for values in results["per_case"].values())


def test_random_weights_mark_the_provenance_uncalibrated(random_weights: Path) -> None:
    protocol = get_protocol("animatex-paper")
    scorer = Scorer(protocol, resolve_metrics(protocol.id, ("lpips",)), MetricContext(weights_dir=random_weights))
    notes = scorer.context.provenance()
    assert notes["uncalibrated"] is True
    assert notes["weights"]["vgg16"]["uncalibrated"] is True and len(notes["weights"]["vgg16"]["sha256"]) == 64


def test_videos_shorter_than_an_fvd_clip_skip_fvd_with_the_reason(tmp_path: Path, random_weights: Path) -> None:
    short = [VideoPair(f"c{i}", write_video(tmp_path / f"p{i}", np.zeros((10, 32, 32, 3), np.uint8) + i),
                       write_video(tmp_path / f"g{i}", np.zeros((10, 32, 32, 3), np.uint8) + 2 * i)) for i in range(2)]
    protocol = get_protocol("animatex-paper")
    metrics = resolve_metrics(protocol.id, ("psnr", "fvd"))
    outcome = score_pairs(short, Scorer(protocol, metrics, MetricContext(weights_dir=random_weights)))
    assert "16" in outcome.skipped["fvd"]
    assert "fvd" not in outcome.distribution and outcome.cases[0].values["psnr"] > 0


def test_scorer_accounts_time_per_metric_and_shared_extractor(pairs: list[VideoPair], random_weights: Path) -> None:
    protocol = get_protocol("a2bench-v1")
    scorer = Scorer(protocol, resolve_metrics(protocol.id, ("psnr", "l1", "fid_vid")),
                    MetricContext(weights_dir=random_weights), bootstrap_resamples=0)
    score_pairs(pairs[:2], scorer)
    extractor_key = scorer.distribution_metrics[0].extractor().key
    stages = {"psnr", "l1", extractor_key, "set distances"}
    assert stages <= set(scorer.seconds) <= stages | {"decode"}
    assert all(seconds > 0 for seconds in scorer.seconds.values())
    assert scorer.seconds[extractor_key] > scorer.seconds["psnr"]  # two 3D ResNet passes vs a mean of squares
