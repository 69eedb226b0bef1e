"""Feature networks on random-initialised weights: features depend on the input by a clear margin, and the
networks agree with the reference implementations loaded with the same weights (relative error <= 1e-5).

I3D parity is checked twice: against a functional re-computation written here from the layout (TF "SAME"
padding from the TF formula, -inf padding for max pools, F.batch_norm on the stored statistics), which always
runs; and against the TATS and DisCo source files themselves, read at test time from the copies of those
repositories under $A2BENCH_REFERENCE_REPOS (never vendored), skipped with the reason otherwise.
"""

from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import torch
import torch.nn.functional as F

from a2bench.errors import A2BenchError
from a2bench.metrics.networks.i3d import MIXED, load_i3d
from a2bench.metrics.networks.inception import load_fid_inception
from a2bench.metrics.networks.layout import ChannelsLast, channels_last_format, keep_layout
from a2bench.metrics.networks.lpips_net import load_lpips
from a2bench.metrics.networks.resnet3d import MEAN, load_resnet3d50
from a2bench.weights.random_init import synthetic_images, synthetic_videos
from a2bench.weights.store import load_checkpoint, resolve

REFERENCE_REPOS = "A2BENCH_REFERENCE_REPOS"  # folder of reference repositories, one per `owner+name` subfolder
TOLERANCE = 1e-5
INPUT_SEED = 2024  # inputs differ from the images the BatchNorm statistics were calibrated on
MARGIN = 0.02  # smallest relative distance between the features of two different inputs


def relative_error(ours: torch.Tensor, reference: torch.Tensor) -> float:
    return float((ours.double() - reference.double()).abs().max() / reference.double().abs().max())


def assert_input_sensitive(features: torch.Tensor) -> None:
    """Every pair of different inputs gives features at least MARGIN apart, relative to their typical norm."""
    features = features.double().flatten(1)
    distances = torch.cdist(features, features)
    off_diagonal = distances[~torch.eye(len(features), dtype=torch.bool)]
    assert float(off_diagonal.min() / features.norm(dim=1).mean()) > MARGIN, distances


def reference_module(repo: str, path: str, tmp_path: Path) -> ModuleType:
    """A source file of a reference repository, imported for this test only. The repositories are read from
    $A2BENCH_REFERENCE_REPOS/<owner+name>/ (a bare git folder `repo/` inside it, or a checkout with `.git`);
    the test skips, with the reason, when the variable or the repository is absent."""
    root = os.environ.get(REFERENCE_REPOS)
    if not root:
        pytest.skip(f"${REFERENCE_REPOS} is not set (a folder holding {repo}/ to compare against)")
    candidates = [Path(root) / repo / "repo", Path(root) / repo / ".git"]
    git_dir = next((c for c in candidates if c.is_dir()), None)
    if git_dir is None:
        pytest.skip(f"no copy of {repo} under ${REFERENCE_REPOS} ({root})")
    source = subprocess.run(["git", "--git-dir", str(git_dir), "show", f"HEAD:{path}"], capture_output=True,
                            check=True).stdout
    target = tmp_path / f"{repo.replace('+', '_').replace('-', '_')}_{Path(path).stem}.py"
    target.write_bytes(source)
    spec = importlib.util.spec_from_file_location(target.stem, target)
    module = importlib.util.module_from_spec(spec)
    sys.modules[target.stem] = module
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- FID Inception


@pytest.fixture(scope="module")
def inception_run(random_weights: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """(input in [-1, 1], our pool3 features) for five structured images."""
    images = synthetic_images(5, 299, INPUT_SEED) * 2 - 1
    with torch.no_grad():
        return images, load_fid_inception(resolve("fid-inception", random_weights))(images)


def test_inception_features_depend_on_the_input(inception_run: tuple[torch.Tensor, torch.Tensor]) -> None:
    assert inception_run[1].shape == (5, 2048)
    assert_input_sensitive(inception_run[1])


def test_inception_matches_pytorch_fid(inception_run: tuple[torch.Tensor, torch.Tensor], random_weights: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from pytorch_fid import inception

    state = load_checkpoint(resolve("fid-inception", random_weights))
    monkeypatch.setattr(inception, "load_state_dict_from_url", lambda *a, **k: state)  # nothing downloaded
    reference = inception.InceptionV3([3], resize_input=False, normalize_input=False).eval()
    images, ours = inception_run
    with torch.no_grad():
        expected = reference(images[:2])[0].flatten(1)
    assert relative_error(ours[:2], expected) <= TOLERANCE


def test_inception_refuses_unresized_input(random_weights: Path) -> None:
    model = load_fid_inception(resolve("fid-inception", random_weights))
    with pytest.raises(ValueError, match="299"):
        model(torch.zeros(1, 3, 256, 256))


# ---------------------------------------------------------------- I3D


@pytest.fixture(scope="module")
def i3d_run(random_weights: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """(two 9-frame clips in [-1, 1], our TATS-variant logits)."""
    clips = synthetic_videos(2, 9, 224, INPUT_SEED) * 2 - 1
    with torch.no_grad():
        return clips, load_i3d(resolve("i3d-kinetics400", random_weights), variant="tats")(clips)


def _tf_same(x: torch.Tensor, kernel: tuple[int, ...], stride: tuple[int, ...], value: float) -> torch.Tensor:
    """Pad as TF "SAME" does: output ceil(n/s), total padding (out-1)*s + k - n, the extra pixel after."""
    pads: list[int] = []
    for n, k, s in reversed(list(zip(x.shape[2:], kernel, stride, strict=True))):
        total = max((math.ceil(n / s) - 1) * s + k - n, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads, value=value)


def functional_i3d(state: dict[str, torch.Tensor], x: torch.Tensor, eps: float, pooled: int) -> torch.Tensor:
    """The I3D forward pass from the state_dict alone, following the piergiaj/TATS layout."""

    def unit(name: str, x: torch.Tensor, stride: tuple[int, int, int] = (1, 1, 1)) -> torch.Tensor:
        weight = state[f"{name}.conv3d.weight"]
        x = F.conv3d(_tf_same(x, tuple(weight.shape[2:]), stride, 0.0), weight, stride=stride)
        x = F.batch_norm(x, state[f"{name}.bn.running_mean"], state[f"{name}.bn.running_var"],
                         state[f"{name}.bn.weight"], state[f"{name}.bn.bias"], eps=eps)
        return F.relu(x)

    def pool(x: torch.Tensor, kernel: tuple[int, int, int], stride: tuple[int, int, int]) -> torch.Tensor:
        return F.max_pool3d(_tf_same(x, kernel, stride, -math.inf), kernel, stride)

    def mixed(name: str, x: torch.Tensor) -> torch.Tensor:
        branches = [unit(f"{name}.b0", x), unit(f"{name}.b1b", unit(f"{name}.b1a", x)),
                    unit(f"{name}.b2b", unit(f"{name}.b2a", x)), unit(f"{name}.b3b", pool(x, (3, 3, 3), (1, 1, 1)))]
        return torch.cat(branches, 1)

    x = unit("Conv3d_1a_7x7", x, (2, 2, 2))
    x = unit("Conv3d_2c_3x3", unit("Conv3d_2b_1x1", pool(x, (1, 3, 3), (1, 2, 2))))
    x = pool(x, (1, 3, 3), (1, 2, 2))
    for name in MIXED:
        if name == "Mixed_4b":
            x = pool(x, (3, 3, 3), (2, 2, 2))
        if name == "Mixed_5b":
            x = pool(x, (2, 2, 2), (2, 2, 2))
        x = mixed(name, x)
    x = F.avg_pool3d(x, (pooled, 7, 7), stride=1)
    logits = F.conv3d(x, state["logits.conv3d.weight"], state["logits.conv3d.bias"])
    return logits[:, :, :, 0, 0].mean(dim=2)


def test_i3d_features_depend_on_the_input(i3d_run: tuple[torch.Tensor, torch.Tensor]) -> None:
    assert i3d_run[1].shape == (2, 400)
    assert_input_sensitive(i3d_run[1])


def test_i3d_matches_a_functional_recomputation(i3d_run: tuple[torch.Tensor, torch.Tensor],
                                                random_weights: Path) -> None:
    state = load_checkpoint(resolve("i3d-kinetics400", random_weights))
    clips, ours = i3d_run
    with torch.no_grad():
        expected = functional_i3d(state, clips[:1], eps=1e-5, pooled=2)
    assert relative_error(ours[:1], expected) <= TOLERANCE


def test_i3d_matches_the_tats_source(i3d_run: tuple[torch.Tensor, torch.Tensor], random_weights: Path,
                                     tmp_path: Path) -> None:
    tats = reference_module("songweige+TATS", "tats/fvd/pytorch_i3d.py", tmp_path)
    reference = tats.InceptionI3d(400, in_channels=3)
    reference.load_state_dict(load_checkpoint(resolve("i3d-kinetics400", random_weights)))
    clips, ours = i3d_run
    with torch.no_grad():
        expected = reference.eval()(clips[:1])
    assert relative_error(ours[:1], expected) <= TOLERANCE


def test_i3d_disco_variant_matches_the_disco_source(random_weights: Path, tmp_path: Path) -> None:
    disco = reference_module("Wangt-CN+DisCo", "tool/metrics/inception3d.py", tmp_path)
    path = resolve("i3d-kinetics400", random_weights)
    reference = disco.InceptionI3d(400, in_channels=3)
    reference.load_state_dict(load_checkpoint(path))
    clip = synthetic_videos(1, 4, 224, INPUT_SEED) * 2 - 1
    with torch.no_grad():
        ours, expected = load_i3d(path, variant="disco")(clip), reference.eval()(clip)
    assert relative_error(ours, expected) <= TOLERANCE


def test_i3d_short_clips(random_weights: Path) -> None:
    path = resolve("i3d-kinetics400", random_weights)
    with pytest.raises(A2BenchError, match="at least 9 frames"):
        load_i3d(path, variant="tats")(torch.zeros(1, 3, 8, 224, 224))
    with torch.no_grad():
        assert load_i3d(path, variant="disco")(torch.zeros(1, 3, 2, 224, 224)).shape == (1, 400)
    with pytest.raises(ValueError, match="224"):
        load_i3d(path)(torch.zeros(1, 3, 16, 112, 112))


# ---------------------------------------------------------------- 3D ResNet-50


@pytest.fixture(scope="module")
def resnet_run(random_weights: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """(three mean-subtracted 16x112x112 clips, our 2048-d features)."""
    clips = synthetic_videos(3, 16, 112, INPUT_SEED) * 255 - torch.tensor(MEAN).view(1, 3, 1, 1, 1)
    with torch.no_grad():
        return clips, load_resnet3d50(resolve("resnet3d50-kinetics", random_weights))(clips)


def test_resnet3d_features_depend_on_the_input(resnet_run: tuple[torch.Tensor, torch.Tensor]) -> None:
    assert resnet_run[1].shape == (3, 2048)
    assert_input_sensitive(resnet_run[1])


def test_resnet3d_matches_the_disco_source(resnet_run: tuple[torch.Tensor, torch.Tensor], random_weights: Path,
                                           tmp_path: Path) -> None:
    source = reference_module("Wangt-CN+DisCo", "tool/metrics/resnet3d.py", tmp_path)
    reference = source.resnet50(num_classes=400, shortcut_type="B", sample_size=112, sample_duration=16,
                                last_fc=False)
    checkpoint = load_checkpoint(resolve("resnet3d50-kinetics", random_weights))
    reference.load_state_dict({k.replace("module.", ""): v for k, v in checkpoint["state_dict"].items()})
    clips, ours = resnet_run
    with torch.no_grad():
        expected = reference.eval()(clips)
    assert relative_error(ours, expected) <= TOLERANCE


# ---------------------------------------------------------------- LPIPS and CLIP


def test_lpips_backbones_depend_on_the_input(random_weights: Path) -> None:
    images = synthetic_images(4, 64, INPUT_SEED)
    for net, backbone, linear in (("vgg", "vgg16", "lpips-vgg-lin"), ("alex", "alexnet", "lpips-alex-lin")):
        model = load_lpips(net, resolve(backbone, random_weights), resolve(linear, random_weights))
        with torch.no_grad():
            features = torch.cat([layer.flatten(1) for layer in model.net(model.scaling_layer(images * 2 - 1))], 1)
            distances = model(images[:3], images[1:], normalize=True)
        assert_input_sensitive(features)
        assert distances.min() > MARGIN, (net, distances.flatten())


def test_clip_embeddings_depend_on_the_input(random_weights: Path) -> None:
    from a2bench.metrics.networks.clip import load_clip

    model, _ = load_clip(resolve("clip-vit-b-32", random_weights))
    with torch.no_grad():
        assert_input_sensitive(model.encode_image(synthetic_images(4, 224, INPUT_SEED)))


# ---------------------------------------------------------------- channels-last execution (CPU's fast layout)


def test_keep_layout_restores_channels_last_after_cat() -> None:
    images = torch.rand(1, 8, 5, 5).contiguous(memory_format=torch.channels_last)
    joined = torch.cat([images, images], 1)
    assert keep_layout(joined, images).is_contiguous(memory_format=torch.channels_last)
    plain = torch.rand(1, 8, 5, 5)
    assert keep_layout(joined, plain) is joined
    single_pixel = torch.rand(1, 8, 1, 1, 1)  # both layouts at once: left as it is
    assert keep_layout(single_pixel, single_pixel) is single_pixel
    with pytest.raises(ValueError, match="4-d or 5-d"):
        channels_last_format(3)


def test_channels_last_networks_match_the_standard_layout(random_weights: Path,
                                                          i3d_run: tuple[torch.Tensor, torch.Tensor]) -> None:
    """Same weights, inputs and batch: only oneDNN's summation order changes. I3D stays within the parity bound
    (measured <= 3e-6 on these random networks), LPIPS within 1e-6. (The FID Inception moved by 1.5e-5, beyond
    the bound, so it keeps the standard layout.)"""
    clip = i3d_run[0][:1]
    i3d = load_i3d(resolve("i3d-kinetics400", random_weights), variant="tats")
    with torch.no_grad():
        standard = i3d(clip)
        fast = ChannelsLast(i3d)(clip)
        mixed = i3d.Mixed_3b(torch.rand(1, 192, 4, 28, 28).contiguous(memory_format=torch.channels_last_3d))
    assert relative_error(fast, standard) <= TOLERANCE
    assert mixed.is_contiguous(memory_format=torch.channels_last_3d)  # the fast layout survives the branch concat
    pair = synthetic_images(2, 64, INPUT_SEED)
    for net, backbone, linear in (("vgg", "vgg16", "lpips-vgg-lin"), ("alex", "alexnet", "lpips-alex-lin")):
        model = load_lpips(net, resolve(backbone, random_weights), resolve(linear, random_weights))
        with torch.no_grad():
            standard_distance = model(pair[:1], pair[1:])
            fast_distance = ChannelsLast(model)(pair[:1], pair[1:])
        assert relative_error(fast_distance, standard_distance) <= 1e-6, net
