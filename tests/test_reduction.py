"""Metrics own their reduction; extractors are declared once, their weights hashed once and shared."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from a2bench.metrics import get_protocol
from a2bench.metrics.base import MetricContext, suite_value
from a2bench.metrics.clip import ClipImageExtractor
from a2bench.results import build_results
from a2bench.scoring import Scorer, VideoPair, score_pairs
from a2bench.video.io import write_video
from a2bench.weights.registry import WEIGHTS


def smooth(count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.kron(rng.normal(size=(count, 5, 5, 3)), np.ones((8, 8, 1)))
    return np.clip(128 + 60 * base, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def uneven(tmp_path_factory: pytest.TempPathFactory) -> list[VideoPair]:
    """Two cases of 3 and 7 frames, each with its reference image."""
    folder = tmp_path_factory.mktemp("uneven")
    pairs = []
    for index, length in enumerate((3, 7)):
        video = smooth(length, seed=index)
        write_video(folder / f"ref{index}", video[:1])
        pairs.append(VideoPair(f"case{index}", write_video(folder / f"pred{index}", video),
                               write_video(folder / f"gt{index}", video[::-1].copy()),
                               folder / f"ref{index}" / "00000.png"))
    return pairs


def open_clip_embeddings(images: np.ndarray, weights: Path) -> np.ndarray:
    import open_clip
    from PIL import Image

    model, _, transform = open_clip.create_model_and_transforms(
        "ViT-B-32", pretrained=str(weights / WEIGHTS["clip-vit-b-32"].filename))
    with torch.no_grad():
        batch = torch.stack([transform(Image.fromarray(image)) for image in images])
        return torch.nn.functional.normalize(model.eval().encode_image(batch), dim=1).double().numpy()


def test_clip_temporal_is_the_mean_over_all_consecutive_pairs(uneven: list[VideoPair], random_weights: Path) -> None:
    protocol = get_protocol("a2bench-v1")
    metrics = protocol.resolve(["clip_temporal", "psnr"])
    outcome = score_pairs(uneven, Scorer(protocol, metrics, MetricContext(weights_dir=random_weights)))
    document = build_results(protocol, None, {}, {"m": outcome}, metrics)["methods"]["m"]
    pair_values = []
    for index, length in enumerate((3, 7)):
        embeddings = open_clip_embeddings(smooth(length, seed=index), random_weights)
        pair_values.append(np.sum(embeddings[1:] * embeddings[:-1], axis=1))
    by_hand = float(np.concatenate(pair_values).mean())  # 2 + 6 pair values, each counted once
    frame_weighted = float((pair_values[0].mean() * 3 + pair_values[1].mean() * 7) / 10)  # the old, wrong weights
    assert document["metrics"]["clip_temporal"]["value"] == pytest.approx(by_hand, rel=1e-5)
    assert abs(by_hand - frame_weighted) > 1e-4  # the test tells the two weightings apart
    assert [case.items["clip_temporal"] for case in outcome.cases] == [2, 6]
    assert [case.items["psnr"] for case in outcome.cases] == [3, 7]
    assert document["per_case"]["case1"]["clip_temporal"] == pytest.approx(float(pair_values[1].mean()), rel=1e-5)


def test_suite_value_follows_the_declared_reduction() -> None:
    assert suite_value("items", [1.0, 4.0], [1, 3]) == pytest.approx(13 / 4)
    assert suite_value("cases", [1.0, 4.0], [1, 3]) == pytest.approx(2.5)


def test_both_clip_metrics_share_one_embedding_pass_per_frame(uneven: list[VideoPair], random_weights: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    embedded: list[int] = []
    original = ClipImageExtractor.extract_hosted

    def counting(self: ClipImageExtractor, hosted: np.ndarray) -> np.ndarray:
        embedded.append(len(hosted))
        return original(self, hosted)

    monkeypatch.setattr(ClipImageExtractor, "extract_hosted", counting)
    protocol = get_protocol("animatex-paper")
    scorer = Scorer(protocol, protocol.resolve(["clip_identity", "clip_temporal"]),
                    MetricContext(weights_dir=random_weights))
    assert scorer.case_metrics[0].embedder is scorer.case_metrics[1].embedder
    score_pairs(uneven, scorer)
    assert sorted(embedded) == [1, 1, 3, 7]  # each case's frames once, and its reference once


def test_weights_are_resolved_and_hashed_once_and_networks_loaded_once(random_weights: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import a2bench.weights.store as store

    resolved: list[str] = []
    original = store.resolve

    def counting(name: str, weights_dir: object = None) -> Path:
        resolved.append(name)
        return original(name, weights_dir)

    monkeypatch.setattr(store, "resolve", counting)
    monkeypatch.setattr("a2bench.metrics.networks.loading._LOADED", {})
    protocol = get_protocol("animatex-paper")
    scorer = Scorer(protocol, protocol.resolve(["lpips", "fid", "fid_vid", "fvd", "fvd_gif", "clip_identity",
                                                "clip_temporal"]), MetricContext(weights_dir=random_weights))
    assert sorted(resolved) == sorted(["vgg16", "lpips-vgg-lin", "fid-inception", "resnet3d50-kinetics",
                                       "i3d-kinetics400", "i3d-kinetics400", "clip-vit-b-32"])
    fvd, fvd_gif = (m for m in scorer.distribution_metrics if m.kind == "fvd")
    assert fvd.extractor() is not fvd_gif.extractor() and fvd.extractor().network is fvd_gif.extractor().network
    provenance = scorer.context.provenance()["weights"]
    assert set(provenance) == {"vgg16", "lpips-vgg-lin", "fid-inception", "resnet3d50-kinetics", "i3d-kinetics400",
                               "clip-vit-b-32"}
    assert all(len(entry["sha256"]) == 64 for entry in provenance.values())
    assert {name for name, entry in provenance.items() if not entry["uncalibrated"]} == {"lpips-vgg-lin"}


def test_extractor_keys_derive_from_the_declaration(random_weights: Path) -> None:
    protocol = get_protocol("animatex-paper")
    scorer = Scorer(protocol, protocol.resolve(["fid", "fvd", "fvd_gif"]), MetricContext(weights_dir=random_weights))
    keys = {m.name: m.extractor().key for m in scorer.distribution_metrics}
    i3d_sha = scorer.weights["i3d-kinetics400"]
    assert keys["fvd"].startswith("i3d-logits-disco:disco-fvd-pil-bicubic-224-window16:" + i3d_sha)
    assert keys["fvd_gif"].startswith("i3d-logits-disco:disco-fvd-gif-")
    assert keys["fid"].startswith("fid-inception-pool3:clean-fid-pil-bicubic-299-clip:")
