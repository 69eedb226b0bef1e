"""Weights registry: completeness, hash checks before every load, fetching (local HTTP server, mirror folder, the
lpips package), lock pinning, init-random files in the real formats, and real-weight reference values."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch

from a2bench.errors import A2BenchError, UnknownNameError
from a2bench.metrics import PROTOCOLS, get_metric, metric_names
from a2bench.metrics.base import WeightsMissing
from a2bench.weights.fetch import FetchError, fetch
from a2bench.weights.layout import WeightsNotLoadable
from a2bench.weights.random_init import init_random
from a2bench.weights.registry import WEIGHTS, get_spec
from a2bench.weights.store import (
    ENV_VAR,
    LOCK_FILE,
    UNCALIBRATED_FILE,
    WeightsHashError,
    WeightsUnpinned,
    is_uncalibrated,
    load_checkpoint,
    pin,
    pinned,
    resolve,
    verify_or_pin,
)
from tests.cli_helpers import assert_clean_failure, run_cli
from tests.weights_fixtures import SEED, real_weights

HUB_HASH = re.compile(r"-([a-f0-9]{8,})\.")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        """No request log on stderr."""


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1: (folder, base URL)."""
    root = tmp_path / "mirror"
    root.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".part")]


# ---------------------------------------------------------------- registry


def test_registry_covers_every_metric_and_nothing_else() -> None:
    needed = {name for protocol in PROTOCOLS for metric in metric_names(protocol)
              for name in get_metric(protocol, metric).weights}
    assert needed <= set(WEIGHTS), needed - set(WEIGHTS)
    assert set(WEIGHTS) == needed, set(WEIGHTS) - needed


def test_registry_entries_are_complete() -> None:
    filenames = [spec.filename for spec in WEIGHTS.values()]
    assert len(set(filenames)) == len(filenames)
    for spec in WEIGHTS.values():
        assert spec.url and spec.format and spec.license, spec.name
        if spec.sha256:
            assert re.fullmatch(r"[0-9a-f]{64}", spec.sha256), spec.name
        hub = HUB_HASH.search(spec.filename)
        if hub and not spec.package_file:
            assert spec.sha256_prefix == hub.group(1), f"{spec.name}: the torch-hub name's hex part is a prefix"
        if spec.package_file:
            assert spec.sha256, f"{spec.name}: files shipped in a wheel have a known hash"
    assert get_spec("fid-inception").sha256_prefix == "6726825d"
    with pytest.raises(UnknownNameError, match="fid-inception"):
        get_spec("inception")


# ---------------------------------------------------------------- resolving and verifying


def test_missing_weights_name_the_fetch_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(WeightsMissing) as caught:
        resolve("fid-inception", tmp_path)
    assert f"a2bench weights fetch fid-inception --dir {tmp_path}" in caught.value.line()
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    with pytest.raises(WeightsMissing) as caught:
        resolve("i3d-kinetics400")
    assert "`a2bench weights fetch i3d-kinetics400`" in caught.value.line()


def test_published_hash_is_checked_and_a_wrong_one_names_the_file(tmp_path: Path) -> None:
    fetch(get_spec("lpips-vgg-lin"), tmp_path)
    path = resolve("lpips-vgg-lin", tmp_path)
    assert path == tmp_path / "lpips-v0.1-vgg.pth"
    path.write_bytes(path.read_bytes() + b"tampered")
    with pytest.raises(WeightsHashError) as caught:
        resolve("lpips-vgg-lin", tmp_path)
    assert caught.value.path == path and "published" in caught.value.message
    assert "a2bench weights fetch lpips-vgg-lin" in caught.value.line()


def test_prefix_hash_of_a_torch_hub_name_is_checked(tmp_path: Path) -> None:
    (tmp_path / "vgg16-397923af.pth").write_bytes(b"not the torchvision file")
    with pytest.raises(WeightsHashError, match="prefix 397923af"):
        resolve("vgg16", tmp_path)


def _pin_as_an_older_a2bench_did(path: Path) -> None:
    """Pin whatever `path` holds, as `weights verify` did before it checked what a file holds."""
    pin(path.parent, get_spec("i3d-kinetics400"), _sha256(path.read_bytes()), path.stat().st_size, "test")


def test_unpublished_hash_must_be_pinned_then_is_enforced(tmp_path: Path, i3d_checkpoint: Path) -> None:
    path = tmp_path / "i3d_pretrained_400.pt"
    shutil.copy(i3d_checkpoint, path)
    with pytest.raises(WeightsUnpinned) as caught:
        resolve("i3d-kinetics400", tmp_path)
    assert isinstance(caught.value, WeightsMissing)  # a metric is skipped, never crashes the run
    assert "a2bench weights verify i3d-kinetics400" in caught.value.line()
    how, newly = verify_or_pin(get_spec("i3d-kinetics400"), tmp_path)
    assert newly and "now pinned on first use" in how
    assert resolve("i3d-kinetics400", tmp_path) == path
    assert "matches the sha256 pinned on first use" in verify_or_pin(get_spec("i3d-kinetics400"), tmp_path)[0]
    torch.save({"w": torch.zeros(2)}, path)
    with pytest.raises(WeightsHashError, match="pinned on first use"):
        resolve("i3d-kinetics400", tmp_path)


def test_only_a_file_holding_the_network_is_pinned(tmp_path: Path) -> None:
    path = tmp_path / "i3d_pretrained_400.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(WeightsNotLoadable, match="tensors do not fit the network"):
        verify_or_pin(get_spec("i3d-kinetics400"), tmp_path)
    torch.save({"callable": functools.partial(print, "run at load time")}, path)
    with pytest.raises(WeightsNotLoadable, match="not a loadable PyTorch checkpoint"):
        verify_or_pin(get_spec("i3d-kinetics400"), tmp_path)
    assert not pinned(tmp_path)


def test_every_file_without_a_published_hash_has_a_declared_layout() -> None:
    from a2bench.weights.layout import layouts

    assert {spec.name for spec in WEIGHTS.values() if not spec.sha256} == set(layouts())


def test_load_checkpoint_hashes_before_unpickling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "i3d_pretrained_400.pt"
    torch.save({"w": torch.ones(2)}, path)
    _pin_as_an_older_a2bench_did(path)
    assert torch.equal(load_checkpoint(path)["w"], torch.ones(2))
    torch.save({"w": torch.zeros(2)}, path)
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load before the hash check"))
    with pytest.raises(WeightsHashError):
        load_checkpoint(path)


def test_load_checkpoint_refuses_pickled_code(tmp_path: Path) -> None:
    path = tmp_path / "i3d_pretrained_400.pt"
    torch.save({"callable": functools.partial(print, "run at load time")}, path)
    _pin_as_an_older_a2bench_did(path)
    with pytest.raises(WeightsNotLoadable, match=r"[Ww]eights only load failed"):
        load_checkpoint(path)


# ---------------------------------------------------------------- fetching


def test_fetch_over_http_pins_then_enforces_the_first_seen_hash(tmp_path: Path, mirror: tuple[Path, str],
                                                                i3d_checkpoint: Path) -> None:
    served, url = mirror
    body = i3d_checkpoint.read_bytes()
    (served / "i3d_pretrained_400.pt").write_bytes(body)
    folder = tmp_path / "weights"
    seen: list[tuple[int, int | None]] = []
    outcome = fetch(get_spec("i3d-kinetics400"), folder, source=url,
                    progress=lambda done, total: seen.append((done, total)))
    assert outcome.status == "fetched" and outcome.pinned and outcome.sha256 == _sha256(body)
    assert seen[-1] == (len(body), len(body)) and len(seen) > 1
    assert pinned(folder)["i3d_pretrained_400.pt"]["sha256"] == _sha256(body)
    assert resolve("i3d-kinetics400", folder).read_bytes() == body
    assert fetch(get_spec("i3d-kinetics400"), folder, source=url).status == "present"
    (served / "i3d_pretrained_400.pt").write_bytes(body[:-1] + b"x")
    with pytest.raises(WeightsHashError, match="pinned on first use"):
        fetch(get_spec("i3d-kinetics400"), folder, source=url, force=True)
    assert (folder / "i3d_pretrained_400.pt").read_bytes() == body and not _leftovers(folder)


def test_fetch_checks_the_published_hash_of_the_download(tmp_path: Path, mirror: tuple[Path, str],
                                                         i3d_checkpoint: Path) -> None:
    served, url = mirror
    body = b"weights" * 1000
    (served / "file.pth").write_bytes(body)
    spec = dataclasses.replace(get_spec("lpips-vgg-lin"), url=f"{url}/file.pth", package_file=None,
                               sha256=_sha256(body))
    assert fetch(spec, tmp_path).status == "fetched"
    assert not pinned(tmp_path)  # a published hash needs no pin
    wrong = dataclasses.replace(spec, sha256=_sha256(b"other"))
    (tmp_path / spec.filename).unlink()
    with pytest.raises(WeightsHashError, match="published"):
        fetch(wrong, tmp_path)
    assert not (tmp_path / spec.filename).exists() and not _leftovers(tmp_path)
    (served / "vgg16-397923af.pth").write_bytes(body)
    with pytest.raises(WeightsHashError, match="prefix"):
        fetch(get_spec("vgg16"), tmp_path, source=url)
    assert not (tmp_path / "vgg16-397923af.pth").exists()
    network = i3d_checkpoint.read_bytes()
    (served / "i3d-hub.pt").write_bytes(network)
    hub_style = dataclasses.replace(get_spec("i3d-kinetics400"), filename="i3d-hub.pt",
                                    sha256_prefix=_sha256(network)[:8])
    outcome = fetch(hub_style, tmp_path, source=url)
    assert outcome.pinned and pinned(tmp_path)["i3d-hub.pt"]["sha256"] == _sha256(network)  # full hash too
    (served / "i3d_pretrained_400.pt").write_bytes(body)
    with pytest.raises(WeightsNotLoadable, match="the download is not a loadable PyTorch checkpoint"):
        fetch(get_spec("i3d-kinetics400"), tmp_path, source=url)  # nothing to compare with: what it holds decides
    assert not (tmp_path / "i3d_pretrained_400.pt").exists() and not _leftovers(tmp_path)


def test_fetch_errors_are_clear(tmp_path: Path, mirror: tuple[Path, str]) -> None:
    _, url = mirror
    with pytest.raises(FetchError, match="404"):
        fetch(get_spec("resnet3d50-kinetics"), tmp_path, source=url)
    with pytest.raises(FetchError, match="no such file in the mirror"):
        fetch(get_spec("resnet3d50-kinetics"), tmp_path, source=str(tmp_path / "nowhere"))
    assert not _leftovers(tmp_path)


def test_fetch_from_a_mirror_folder_and_the_lpips_package(tmp_path: Path, i3d_checkpoint: Path) -> None:
    source = tmp_path / "offline"
    source.mkdir()
    shutil.copy(i3d_checkpoint, source)
    folder = tmp_path / "weights"
    outcome = fetch(get_spec("i3d-kinetics400"), folder, source=str(source))
    assert outcome.pinned and resolve("i3d-kinetics400", folder).read_bytes() == i3d_checkpoint.read_bytes()
    for name in ("lpips-vgg-lin", "lpips-alex-lin"):
        outcome = fetch(get_spec(name), folder, source=str(source))  # shipped in the wheel: source not needed
        assert outcome.sha256 == get_spec(name).sha256
    assert set(pinned(folder)) == {"i3d_pretrained_400.pt"}


def test_cli_fetch_path_verify(tmp_path: Path, mirror: tuple[Path, str], i3d_checkpoint: Path) -> None:
    served, url = mirror
    shutil.copy(i3d_checkpoint, served)
    folder = tmp_path / "weights"
    result = run_cli("weights", "fetch", "i3d-kinetics400", "lpips-alex-lin", "--dir", folder, "--source", url)
    assert result.returncode == 0, result.stderr
    assert "fetched i3d-kinetics400" in result.stdout and LOCK_FILE in result.stdout
    result = run_cli("weights", "path", "i3d-kinetics400", "--dir", folder)
    assert result.returncode == 0 and result.stdout.strip() == str(folder / "i3d_pretrained_400.pt")
    result = run_cli("weights", "verify", "i3d-kinetics400", "lpips-alex-lin", "--dir", folder)
    assert result.returncode == 0, result.stderr
    assert "ok i3d-kinetics400" in result.stdout and "ok lpips-alex-lin" in result.stdout
    result = run_cli("weights", "verify", "--dir", folder)  # every registered file: the absent ones fail it
    assert_clean_failure(result, f"{len(WEIGHTS) - 2} missing")
    assert "ok i3d-kinetics400" in result.stdout and "missing fid-inception" in result.stdout
    assert_clean_failure(run_cli("weights", "path", "fid-inception", "--dir", folder),
                         f"a2bench weights fetch fid-inception --dir {folder}")
    (folder / "i3d_pretrained_400.pt").write_bytes(b"changed")
    assert_clean_failure(run_cli("weights", "verify", "i3d-kinetics400", "--dir", folder), "failed verification")
    result = run_cli("weights", "list", "--dir", folder)
    assert result.returncode == 0 and "clip-vit-b-32" in result.stdout


def test_weights_commands_take_weights_dir_like_evaluate(tmp_path: Path) -> None:
    folder = tmp_path / "weights"
    for option in ("--weights-dir", "--dir"):
        fetched = run_cli("weights", "fetch", "lpips-vgg-lin", option, folder)
        assert fetched.returncode == 0 and f"{folder / 'lpips-v0.1-vgg.pth'}" in fetched.stdout, fetched.stderr
        assert run_cli("weights", "verify", "lpips-vgg-lin", option, folder).returncode == 0
        assert run_cli("weights", "path", "lpips-vgg-lin", option, folder).stdout.strip() == str(
            folder / "lpips-v0.1-vgg.pth")
        assert f"Weights in {folder}" in run_cli("weights", "list", option, folder).stdout
    written = run_cli("weights", "init-random", "--weights-dir", tmp_path / "random", "--only", "lpips-alex-lin")
    assert written.returncode == 0 and (tmp_path / "random" / "lpips-v0.1-alex.pth").is_file(), written.stderr
    # the lpips layers are copied as published: nothing is random, so nothing is said to be listed as uncalibrated
    assert "lpips-alex-lin: copied as the lpips package ships them" in written.stdout
    assert "listed in" not in written.stdout and not (tmp_path / "random" / "uncalibrated.json").exists()


# ---------------------------------------------------------------- init-random


def test_init_random_marks_its_files_uncalibrated(random_weights: Path) -> None:
    record = json.loads((random_weights / UNCALIBRATED_FILE).read_text())
    random_names = {spec.filename for spec in WEIGHTS.values() if not spec.package_file}
    assert set(record["files"]) == random_names
    assert all(entry["seed"] == SEED for entry in record["files"].values())
    for spec in WEIGHTS.values():
        assert is_uncalibrated(spec.name, random_weights) == (spec.package_file is None)
        assert is_uncalibrated(random_weights / spec.filename) == (spec.package_file is None)
        resolve(spec.name, random_weights)  # random files verify against the hashes init-random recorded


def test_init_random_is_reproducible_file_by_file(tmp_path: Path, random_weights: Path) -> None:
    init_random(tmp_path, SEED, ["i3d-kinetics400"])
    name = "i3d_pretrained_400.pt"
    assert (tmp_path / name).read_bytes() == (random_weights / name).read_bytes()


def test_init_random_never_overwrites_real_weights(tmp_path: Path) -> None:
    (tmp_path / "i3d_pretrained_400.pt").write_bytes(b"real")
    with pytest.raises(A2BenchError, match="refusing to overwrite"):
        init_random(tmp_path, 0, ["i3d-kinetics400"])
    assert (tmp_path / "i3d_pretrained_400.pt").read_bytes() == b"real"


def test_fetching_a_real_copy_clears_the_uncalibrated_mark(tmp_path: Path, random_weights: Path,
                                                           i3d_checkpoint: Path) -> None:
    folder = tmp_path / "weights"
    folder.mkdir()
    shutil.copy(random_weights / "i3d_pretrained_400.pt", folder)
    shutil.copy(random_weights / UNCALIBRATED_FILE, folder)
    (tmp_path / "real").mkdir()
    shutil.copy(i3d_checkpoint, tmp_path / "real")
    fetch(get_spec("i3d-kinetics400"), folder, source=str(tmp_path / "real"))
    assert not is_uncalibrated("i3d-kinetics400", folder)
    assert resolve("i3d-kinetics400", folder).read_bytes() == i3d_checkpoint.read_bytes()


def test_random_torchvision_files_load_into_torchvision(random_weights: Path) -> None:
    import torchvision

    for name, build in (("vgg16", torchvision.models.vgg16), ("alexnet", torchvision.models.alexnet)):
        state = load_checkpoint(random_weights / get_spec(name).filename)
        build(weights=None).load_state_dict(state, strict=True)


def test_random_files_load_into_lpips(random_weights: Path) -> None:
    from a2bench.metrics.networks.lpips_net import load_lpips

    frames = torch.rand(2, 3, 64, 64)
    for net, backbone, linear in (("vgg", "vgg16", "lpips-vgg-lin"), ("alex", "alexnet", "lpips-alex-lin")):
        model = load_lpips(net, resolve(backbone, random_weights), resolve(linear, random_weights))
        shipped = load_checkpoint(random_weights / get_spec(linear).filename)
        assert torch.equal(model.lin0.model[1].weight, shipped["lin0.model.1.weight"])
        distance = model(frames, frames.flip(0), normalize=True).flatten()
        assert distance.min() > 0 and model(frames, frames, normalize=True).abs().max() < 1e-6


def test_random_inception_loads_into_pytorch_fid(random_weights: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pytorch_fid import inception

    state = load_checkpoint(resolve("fid-inception", random_weights))
    monkeypatch.setattr(inception, "load_state_dict_from_url", lambda *a, **k: state)
    reference = inception.InceptionV3([3], resize_input=False, normalize_input=False)
    assert all(torch.equal(reference.state_dict()[k], v) for k, v in state.items() if k in reference.state_dict())


def test_random_video_checkpoints_have_the_real_layouts(random_weights: Path) -> None:
    i3d = load_checkpoint(resolve("i3d-kinetics400", random_weights))
    assert "Conv3d_1a_7x7.conv3d.weight" in i3d and "logits.conv3d.bias" in i3d
    assert not any(k.endswith("num_batches_tracked") for k in i3d)
    assert all(torch.all(v == 1) for k, v in i3d.items() if k.endswith("bn.weight"))  # TF BN had no gamma
    resnet = load_checkpoint(resolve("resnet3d50-kinetics", random_weights))
    assert resnet["arch"] == "resnet-50" and "optimizer" in resnet
    assert all(k.startswith("module.") for k in resnet["state_dict"])
    assert resnet["state_dict"]["module.fc.weight"].shape == (400, 2048)
    assert "module.layer1.0.downsample.1.running_var" in resnet["state_dict"]  # shortcut B


def test_random_clip_file_loads_into_open_clip(random_weights: Path) -> None:
    from a2bench.metrics.networks.clip import load_clip

    model, preprocess = load_clip(resolve("clip-vit-b-32", random_weights))
    with torch.no_grad():
        embedding = model.encode_image(torch.rand(1, 3, 224, 224))
    assert embedding.shape == (1, 512) and callable(preprocess)


# ---------------------------------------------------------------- real weights (skipped when not installed)


def test_real_lpips_alex_zeros_vs_ones() -> None:
    """common_metrics_on_video_quality README: LPIPS-alex of zeros vs ones in [0,1] (fed as [-1,1]) is 0.81401."""
    from a2bench.metrics.networks.lpips_net import load_lpips

    paths = real_weights("alexnet", "lpips-alex-lin")
    model = load_lpips("alex", paths["alexnet"], paths["lpips-alex-lin"])
    with torch.no_grad():
        value = model(torch.zeros(1, 3, 64, 64), torch.ones(1, 3, 64, 64), normalize=True).item()
    assert value == pytest.approx(0.81401, abs=2e-4)


def test_real_i3d_tf_fvd_example() -> None:
    """google-research FVD example: 16 videos of 0 vs 16 of 255 (15 frames, 64x64, bilinear to 224) → about 131."""
    from a2bench.metrics.networks.i3d import load_i3d

    model = load_i3d(real_weights("i3d-kinetics400")["i3d-kinetics400"])
    with torch.no_grad():
        low, high = (model(torch.full((1, 3, 15, 224, 224), value)) for value in (-1.0, 1.0))
    fvd = float(((low - high) ** 2).sum())  # identical videos per set: zero covariances, FVD = |mu1 - mu2|^2
    assert fvd == pytest.approx(131, rel=0.05)


def test_real_weights_match_their_hub_prefix() -> None:
    """Each real torch-hub style file verifies (resolve hashes it) and its lock pin is the full sha256."""
    for name in ("vgg16", "alexnet", "fid-inception"):
        path = real_weights(name)[name]
        entry = pinned(path.parent).get(path.name)
        if entry is not None:
            assert entry["sha256"].startswith(get_spec(name).sha256_prefix)
