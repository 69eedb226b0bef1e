"""LPIPS, CLIP, FID, FID-VID and FVD with random-initialised weights (init-random): parity with the reference
packages used as documented, batch-size independence, clip bookkeeping and clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from a2bench.metrics import get_metric, metric_names, preprocess
from a2bench.metrics.base import CaseFrames, MetricContext, MissingInput, WeightsMissing
from a2bench.metrics.frechet import frechet_distance_features
from a2bench.metrics.runtime import exact_inference, network_batch_size
from a2bench.weights.registry import WEIGHTS

LEARNED = ("lpips", "clip_identity", "clip_temporal", "fid", "fid_vid", "fvd")


@pytest.fixture(scope="session")
def weights(random_weights: Path) -> Path:
    """Every registered weights file, random-initialised once per session (shared with the network tests)."""
    return random_weights


def context(weights: Path, batch_size: int = 4) -> MetricContext:
    return MetricContext(device="cpu", batch_size=batch_size, weights_dir=weights)


def prepared(protocol: str, name: str, weights: Path, batch_size: int = 4) -> Any:
    metric = get_metric(protocol, name)
    metric.prepare(context(weights, batch_size))
    return metric


def frames(count: int, size: tuple[int, int] = (48, 40), seed: int = 0) -> np.ndarray:
    """Smooth random frames (a blurred noise field plus a moving bar), so features see structure."""
    rng = np.random.default_rng(seed)
    height, width = size
    base = rng.normal(size=(count, height // 8 + 1, width // 8 + 1, 3))
    image = np.kron(base, np.ones((8, 8, 1)))[:, :height, :width]
    for t in range(count):
        image[t, :, (3 * t) % width: (3 * t) % width + 4] += 2
    return np.clip(128 + 50 * image, 0, 255).astype(np.uint8)


def relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def test_learned_metrics_are_registered_with_known_weights() -> None:
    for protocol in ("animatex-paper", "a2bench-v1"):
        assert set(LEARNED) <= set(metric_names(protocol))
        for name in LEARNED:
            assert get_metric(protocol, name).weights and set(get_metric(protocol, name).weights) <= set(WEIGHTS)


def test_missing_weights_raise_weights_missing(tmp_path: Path) -> None:
    for name in LEARNED:
        with pytest.raises(WeightsMissing):
            get_metric("a2bench-v1", name).prepare(context(tmp_path))


def test_torch_flags_and_threads_are_set_once_per_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    from a2bench.metrics import runtime

    monkeypatch.setattr(runtime, "_CONFIGURED", {})
    before = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.benchmark,
              torch.backends.cudnn.deterministic, torch.get_num_threads())
    try:
        torch.backends.cuda.matmul.allow_tf32 = True
        with exact_inference(MetricContext(fast=False, threads=1)):
            assert not torch.backends.cuda.matmul.allow_tf32 and not torch.backends.cudnn.allow_tf32
            assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
            assert torch.is_inference_mode_enabled() and torch.get_num_threads() == 1
        assert not torch.backends.cuda.matmul.allow_tf32  # set once for the process, not restored per call
        torch.backends.cuda.matmul.allow_tf32 = True
        runtime.configure(MetricContext(fast=False, threads=1))  # same settings: nothing is touched again
        assert torch.backends.cuda.matmul.allow_tf32
        runtime.configure(MetricContext(fast=True, threads=1))
        assert torch.backends.cudnn.benchmark and not torch.backends.cudnn.deterministic
        assert network_batch_size(MetricContext(batch_size=8)) == runtime.EXACT_BATCH[("cpu", "frames")]
        assert network_batch_size(MetricContext(batch_size=8, fast=True)) == 8
    finally:
        (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic,
         threads) = before
        torch.set_num_threads(threads)


# ---------------------------------------------------------------- LPIPS


@pytest.mark.parametrize(("protocol", "net", "rescale"),
                         [("animatex-paper", "vgg", False), ("a2bench-v1", "alex", True)])
def test_lpips_matches_the_package_readme_usage(weights: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                protocol: str, net: str, rescale: bool) -> None:
    """Reference: `lpips.LPIPS(net=...)` exactly as the README builds it; torchvision finds the same backbone
    file in its hub cache and the package loads its own linear layers (copied verbatim by init-random)."""
    import lpips

    backbone = weights / WEIGHTS["vgg16" if net == "vgg" else "alexnet"].filename
    hub = tmp_path / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    (hub / backbone.name).symlink_to(backbone)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.warns(UserWarning):  # torchvision's notice about lpips' deprecated `pretrained=True`
        reference = lpips.LPIPS(net=net, verbose=False)
    pred, gt = frames(3, seed=1), frames(3, seed=2)
    ours = prepared(protocol, "lpips", weights).per_frame(pred, gt)
    with torch.no_grad():
        expected = []
        for p, g in zip(pred, gt, strict=True):
            tensors = [torch.from_numpy(x).permute(2, 0, 1)[None].float() / 255 for x in (p, g)]
            if rescale:
                tensors = [2 * x - 1 for x in tensors]
            expected.append(reference(*tensors).item())
    assert relative(ours, np.array(expected)) <= 1e-5


def test_lpips_is_independent_of_batch_size(weights: Path) -> None:
    pred, gt = frames(5, seed=3), frames(5, seed=4)
    one = prepared("a2bench-v1", "lpips", weights, batch_size=1).per_frame(pred, gt)
    many = prepared("a2bench-v1", "lpips", weights, batch_size=5).per_frame(pred, gt)
    assert one.shape == (5,) and relative(one, many) <= 1e-6
    assert np.allclose(prepared("a2bench-v1", "lpips", weights).per_frame(pred, pred), 0, atol=1e-7)


# ---------------------------------------------------------------- CLIP


def test_clip_metrics_match_open_clip_and_need_their_inputs(weights: Path) -> None:
    import open_clip
    from PIL import Image

    video = frames(3, seed=5)
    reference_image = frames(1, seed=6)[0]
    identity = prepared("a2bench-v1", "clip_identity", weights)
    temporal = prepared("animatex-paper", "clip_temporal", weights)
    case = CaseFrames("c", pred=video, aligned=video, gt=video, reference=reference_image)
    model, _, transform = open_clip.create_model_and_transforms(
        "ViT-B-32", pretrained=str(weights / WEIGHTS["clip-vit-b-32"].filename))
    with torch.no_grad():
        images = torch.stack([transform(Image.fromarray(x)) for x in [reference_image, *video]])
        embeddings = torch.nn.functional.normalize(model.eval().encode_image(images), dim=1).double().numpy()
    assert relative(identity.case_values(case), embeddings[1:] @ embeddings[0]) <= 1e-5
    consecutive = np.sum(embeddings[2:] * embeddings[1:-1], axis=1)
    assert relative(temporal.case_values(case), consecutive) <= 1e-5
    same = CaseFrames("s", pred=np.stack([reference_image] * 2), aligned=video[:2], reference=reference_image)
    assert np.allclose(identity.case_values(same), 1) and np.allclose(temporal.case_values(same), 1)
    with pytest.raises(MissingInput, match="reference"):
        identity.case_values(CaseFrames("n", pred=video, aligned=video))
    with pytest.raises(MissingInput, match="two frames"):
        temporal.case_values(CaseFrames("o", pred=video[:1], aligned=video[:1]))


# ---------------------------------------------------------------- FID


def test_fid_features_per_frame_and_batch_size_independent(weights: Path) -> None:
    video = frames(3, seed=7)
    paper = prepared("animatex-paper", "fid", weights, batch_size=1).extractor()
    one = paper.extract(video)
    many = prepared("animatex-paper", "fid", weights, batch_size=3).extractor().extract(video)
    assert one.shape == (3, 2048) and one.dtype == np.float64
    assert relative(one, many) <= 1e-6
    assert relative(one[0], one[1]) > 1e-3  # features depend on the frame
    corrected = prepared("a2bench-v1", "fid", weights).extractor()
    assert preprocess.CLEAN_FID in paper.key and preprocess.PYTORCH_FID in corrected.key
    assert paper.key.endswith(corrected.key.rsplit(":", 1)[1])  # same network, same weights hash
    assert relative(corrected.extract(video), one) > 1e-4  # the resize differs


# ---------------------------------------------------------------- FID-VID


def test_fid_vid_is_the_mean_segment_feature(weights: Path) -> None:
    from a2bench.metrics.networks.resnet3d import load_resnet3d50

    video = frames(20, size=(40, 40), seed=8)
    rows = prepared("a2bench-v1", "fid_vid", weights, batch_size=1).extractor().extract(video)
    network = load_resnet3d50(weights / WEIGHTS["resnet3d50-kinetics"].filename)
    segments = torch.from_numpy(preprocess.disco_fid_vid_segments(video))
    with exact_inference(context(weights)):  # one segment per call, as exact mode runs them
        direct = torch.cat([network(segment[None]) for segment in segments]).double().mean(0).numpy()
    assert rows.shape == (1, 2048)
    assert relative(rows[0], direct) <= 1e-6


# ---------------------------------------------------------------- FVD


def test_disco_fvd_has_one_row_per_sliding_window(weights: Path) -> None:
    from a2bench.metrics.networks.i3d import load_i3d

    video = frames(17, size=(32, 32), seed=9)
    metric = prepared("animatex-paper", "fvd", weights, batch_size=1)
    rows = metric.extractor().extract(video)
    network = load_i3d(weights / WEIGHTS["i3d-kinetics400"].filename, variant="disco")
    clips = preprocess.sliding_clips(preprocess.disco_fvd_video(video))
    with exact_inference(context(weights)):
        direct = network(torch.from_numpy(np.ascontiguousarray(clips))).double().numpy()
    assert rows.shape == (2, 400)
    assert relative(rows, direct) <= 1e-6  # clips one at a time vs both in one batch
    other = rows + np.linspace(0, 1, 400)
    assert metric.distance(rows, other) == frechet_distance_features(rows, other, ddof=1)
    with pytest.raises(MissingInput, match="16 frames"):
        metric.extractor().extract(video[:15])


def test_stylegan_v_fvd_takes_one_clip_with_population_covariance(weights: Path) -> None:
    video = frames(18, size=(32, 32), seed=10)
    metric = prepared("a2bench-v1", "fvd", weights)
    rows = metric.extractor().extract(video)
    assert rows.shape == (1, 400) and np.all(np.isfinite(rows))
    assert np.array_equal(rows, metric.extractor().extract(video[:16]))  # the first 16 frames only
    pred, gt = np.random.default_rng(0).normal(size=(2, 6, 400))
    assert metric.distance(pred, gt) == frechet_distance_features(pred, gt, ddof=0)
    with pytest.raises(MissingInput, match="16 frames"):
        metric.extractor().extract(video[:15])
