"""Item 3: weights are trusted only for what they are: pinned on first use only when they hold the network, said apart
from a published hash, no file in the weights folder overrides a published hash, random test weights never become
trusted ones (fetched from a mirror, or written where the real ones go), and `verify` passes only when every file it
checks is there and verifies."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from a2bench.errors import A2BenchError
from a2bench.weights.fetch import FetchError, fetch
from a2bench.weights.random_init import init_random
from a2bench.weights.registry import WEIGHTS, get_spec
from a2bench.weights.store import (
    ENV_VAR,
    LOCK_FILE,
    UNCALIBRATED_FILE,
    file_sha256,
    forget_random_file,
    is_uncalibrated,
    pin,
    pinned,
    record_random_files,
    user_weights_folder,
    weights_folder,
)
from tests.cli_helpers import assert_clean_failure, run_cli
from tests.http_fixtures import serving

I3D = "i3d_pretrained_400.pt"
RANDOM = "random test weights written by `a2bench weights init-random`"


@pytest.fixture(scope="module")
def random_i3d(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder in which init-random wrote i3d_pretrained_400.pt and listed it in its uncalibrated.json."""
    folder = tmp_path_factory.mktemp("init-random")
    init_random(folder, 0, ["i3d-kinetics400"])
    return folder


@pytest.fixture
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary HOME (and XDG cache), $A2BENCH_WEIGHTS unset, for this process and the CLI it runs: the per-user
    weights folder is then under it, never the real ~/.cache."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert home in user_weights_folder().parents
    return home


def _nothing_fetched(weights: Path) -> bool:
    return not (weights / LOCK_FILE).exists() and not any(p.name.endswith(".part") for p in weights.iterdir())


def test_a_random_file_as_i3d_is_refused_at_verify_and_at_evaluate(tmp_path: Path,
                                                                     folders: tuple[Path, Path]) -> None:
    weights = tmp_path / "weights"
    weights.mkdir()
    (weights / I3D).write_bytes(os.urandom(5000))
    refused = run_cli("weights", "verify", "i3d-kinetics400", "--dir", weights)
    assert_clean_failure(refused, str(weights / I3D), "not a loadable PyTorch checkpoint", "failed verification")
    assert "FAILED i3d-kinetics400" in refused.stderr and not (weights / LOCK_FILE).exists()

    pred, gt = folders
    skipped = run_cli("evaluate", "--pred", pred, "--gt", gt, "--metrics", "psnr,fvd", "--weights-dir", weights)
    assert skipped.returncode == 0 and "Traceback" not in skipped.stderr
    assert "skipped fvd:" in skipped.stderr and "no sha256 is published or pinned" in skipped.stderr

    body = (weights / I3D).read_bytes()  # pinned by an a2bench that pinned anything on first sight
    pin(weights, get_spec("i3d-kinetics400"), hashlib.sha256(body).hexdigest(), len(body), "older a2bench")
    assert_clean_failure(run_cli("evaluate", "--pred", pred, "--gt", gt, "--metrics", "psnr,fvd", "--weights-dir",
                                 weights), str(weights / I3D), "not a loadable PyTorch checkpoint")


def test_verify_says_pinned_on_first_use_apart_from_published(tmp_path: Path, i3d_checkpoint: Path) -> None:
    weights = tmp_path / "weights"
    assert run_cli("weights", "fetch", "lpips-vgg-lin", "--dir", weights).returncode == 0  # from the lpips wheel
    shutil.copy(i3d_checkpoint, weights / I3D)
    first = run_cli("weights", "verify", "lpips-vgg-lin", "i3d-kinetics400", "--dir", weights)
    assert first.returncode == 0, first.stderr
    assert "ok lpips-vgg-lin: matches the published sha256" in first.stdout
    assert "pinned i3d-kinetics400: no hash is published for it" in first.stdout
    assert "now pinned on first use" in first.stdout
    again = run_cli("weights", "verify", "i3d-kinetics400", "--dir", weights)
    assert "ok i3d-kinetics400: matches the sha256 pinned on first use" in again.stdout
    assert "published" not in again.stdout.replace("not published", "")


def test_uncalibrated_json_cannot_override_a_published_hash(tmp_path: Path) -> None:
    weights = tmp_path / "weights"
    assert run_cli("weights", "fetch", "lpips-vgg-lin", "--dir", weights).returncode == 0
    target = weights / get_spec("lpips-vgg-lin").filename
    target.write_bytes(b"not the lpips file")
    (weights / UNCALIBRATED_FILE).write_text(json.dumps({"version": 1, "files": {target.name: {
        "name": "lpips-vgg-lin", "seed": 0, "sha256": hashlib.sha256(target.read_bytes()).hexdigest()}}}))
    assert_clean_failure(run_cli("weights", "verify", "lpips-vgg-lin", "--dir", weights),
                         "differs from the published sha256")
    assert_clean_failure(run_cli("weights", "path", "lpips-vgg-lin", "--dir", weights),
                         str(target), "differs from the published sha256")
    assert not is_uncalibrated("lpips-vgg-lin", weights)


def test_fetch_from_an_init_random_folder_is_refused_and_nothing_is_trusted(tmp_path: Path, random_i3d: Path,
                                                                             folders: tuple[Path, Path]) -> None:
    weights = tmp_path / "weights"
    refused = run_cli("weights", "fetch", "i3d-kinetics400", "--source", random_i3d, "--weights-dir", weights)
    assert_clean_failure(refused, "1 weights file(s) could not be fetched")
    assert (f"failed i3d-kinetics400: {random_i3d / I3D}: {RANDOM} (listed in {random_i3d / UNCALIBRATED_FILE}), not "
            "the published network; fetch never trusts them — fetch the real file") in refused.stderr
    assert not (weights / I3D).exists() and _nothing_fetched(weights)
    assert "i3d-kinetics400: missing" in run_cli("weights", "list", "--weights-dir", weights).stdout
    pred, gt = folders
    scored = run_cli("evaluate", "--pred", pred, "--gt", gt, "--metrics", "psnr,fvd", "--weights-dir", weights)
    assert scored.returncode == 0 and f"skipped fvd: {weights / I3D}: weights 'i3d-kinetics400'" in scored.stderr


@pytest.mark.parametrize("marked", ["as init-random wrote it", "its sha256 under another name",
                                    "its name with another sha256", "in the weights folder's record"])
def test_fetch_refuses_a_file_any_record_lists_as_random(marked: str, tmp_path: Path, random_i3d: Path) -> None:
    mirror, weights = tmp_path / "mirror", tmp_path / "weights"
    mirror.mkdir()
    weights.mkdir()
    shutil.copy(random_i3d / I3D, mirror)
    entry = {"name": "i3d-kinetics400", "seed": 0, "sha256": file_sha256(mirror / I3D)}
    record = mirror / UNCALIBRATED_FILE
    if marked == "as init-random wrote it":
        shutil.copy(random_i3d / UNCALIBRATED_FILE, mirror)
    elif marked == "its sha256 under another name":
        record_random_files(mirror, {"renamed.pt": entry})
    elif marked == "its name with another sha256":
        record_random_files(mirror, {I3D: {**entry, "sha256": "0" * 64}})
    else:  # the weights folder holds init-random's i3d; a copy of it was put in a mirror without the record
        shutil.copy(random_i3d / I3D, weights)
        shutil.copy(random_i3d / UNCALIBRATED_FILE, weights)
        record = weights / UNCALIBRATED_FILE
    with pytest.raises(FetchError) as caught:
        fetch(get_spec("i3d-kinetics400"), weights, source=str(mirror))
    assert caught.value.line().startswith(f"{mirror / I3D}: {RANDOM} (listed in {record})")
    assert _nothing_fetched(weights)
    assert is_uncalibrated("i3d-kinetics400", weights) == (marked == "in the weights folder's record")


def test_fetch_takes_a_real_file_from_a_mirror_that_also_holds_random_ones(tmp_path: Path, random_i3d: Path,
                                                                           i3d_checkpoint: Path) -> None:
    mirror, weights = tmp_path / "mirror", tmp_path / "weights"
    shutil.copytree(random_i3d, mirror)
    (mirror / I3D).unlink()
    shutil.copy(i3d_checkpoint, mirror)  # the real file, and a record that lists another random file only
    record_random_files(mirror, {"resnet-50-kinetics.pth": {"name": "resnet3d50-kinetics", "seed": 0,
                                                            "sha256": "0" * 64}})
    forget_random_file(mirror, I3D)
    outcome = fetch(get_spec("i3d-kinetics400"), weights, source=str(mirror))
    assert outcome.pinned and pinned(weights)[I3D]["sha256"] == file_sha256(i3d_checkpoint)


@pytest.mark.parametrize("pinned_before", [True, False])
def test_fetch_refuses_random_weights_already_in_the_weights_folder(pinned_before: bool, tmp_path: Path,
                                                                    random_i3d: Path) -> None:
    weights = tmp_path / "weights"
    weights.mkdir()
    shutil.copy(random_i3d / I3D, weights)  # copied by hand, or fetched and pinned by an older a2bench
    if pinned_before:
        pin(weights, get_spec("i3d-kinetics400"), file_sha256(weights / I3D), (weights / I3D).stat().st_size,
            str(random_i3d / I3D))
    lock = (weights / LOCK_FILE).read_bytes() if pinned_before else b""
    refused = run_cli("weights", "fetch", "i3d-kinetics400", "--source", random_i3d, "--dir", weights)
    assert_clean_failure(refused, "could not be fetched")
    assert (f"failed i3d-kinetics400: {weights / I3D}: {RANDOM} (listed in {random_i3d / UNCALIBRATED_FILE}), not the "
            f"published network; fetch never trusts them — delete it and its entry in {weights / LOCK_FILE}, then "
            "fetch the real file") in refused.stderr
    assert ((weights / LOCK_FILE).read_bytes() if (weights / LOCK_FILE).exists() else b"") == lock


def test_fetch_reads_a_mirror_urls_record_of_random_weights(tmp_path: Path, random_i3d: Path,
                                                            i3d_checkpoint: Path) -> None:
    spec, weights = get_spec("i3d-kinetics400"), tmp_path / "weights"
    with serving() as server:
        server.add(f"/{I3D}", (random_i3d / I3D).read_bytes())
        record_url = server.add(f"/{UNCALIBRATED_FILE}", (random_i3d / UNCALIBRATED_FILE).read_bytes())
        with pytest.raises(FetchError, match=f"{RANDOM} \\(listed in {record_url}\\)"):
            fetch(spec, weights, source=server.url)
        server.add(f"/{UNCALIBRATED_FILE}", b"{not json")
        with pytest.raises(A2BenchError, match=f"^{record_url}: unreadable: .* — repair or delete it"):
            fetch(spec, weights, source=server.url)
        server.add(f"/{UNCALIBRATED_FILE}", b"{}", "error")
        with pytest.raises(FetchError, match=f"^reading {record_url} \\(the mirror's list of random test weights\\) "
                                             "failed: 500"):
            fetch(spec, weights, source=server.url)
        assert _nothing_fetched(weights)
        del server.files[f"/{UNCALIBRATED_FILE}"]  # a mirror without the record (404) of a real file
        server.add(f"/{I3D}", i3d_checkpoint.read_bytes())
        assert fetch(spec, weights, source=server.url).pinned


@pytest.mark.parametrize("default", ["the per-user cache", "$A2BENCH_WEIGHTS",
                                     "the per-user cache, $A2BENCH_WEIGHTS set"])
def test_init_random_refuses_the_folders_real_weights_are_read_from(default: str, private_home: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    target = user_weights_folder()
    if default != "the per-user cache":
        monkeypatch.setenv(ENV_VAR, str(tmp_path / "real-weights"))
    if default == "$A2BENCH_WEIGHTS":
        target = weights_folder()
    spelled = f"{target}/../{target.name}"  # another spelling of the same folder
    refused = run_cli("weights", "init-random", "--dir", spelled, "--only", "lpips-vgg-lin,i3d-kinetics400")
    assert_clean_failure(refused, f"error: {spelled}: is where a2bench reads the real weights from ($A2BENCH_WEIGHTS "
                         "or the per-user cache); init-random never writes random ones there — pass a folder of its "
                         "own as --dir")
    with pytest.raises(A2BenchError, match="is where a2bench reads the real weights from"):
        init_random(target, 0, ["lpips-vgg-lin"])
    assert not target.exists()


def test_verify_passes_only_when_every_file_it_checks_is_present_and_verified(tmp_path: Path) -> None:
    weights = tmp_path / "weights"
    nothing = run_cli("weights", "verify", "--weights-dir", weights)
    assert_clean_failure(nothing, f"error: {weights}: {len(WEIGHTS)} weights file(s) checked: 0 failed verification, "
                         f"{len(WEIGHTS)} missing — run `a2bench weights fetch {' '.join(WEIGHTS)} --dir {weights}`, "
                         "or name only the weights you need")
    assert nothing.stdout.count("missing ") == len(WEIGHTS)
    assert run_cli("weights", "fetch", "lpips-vgg-lin", "--dir", weights).returncode == 0
    named = run_cli("weights", "verify", "lpips-vgg-lin", "--dir", weights)
    assert named.returncode == 0 and "ok lpips-vgg-lin: matches the published sha256" in named.stdout
    some = run_cli("weights", "verify", "--dir", weights)
    assert_clean_failure(some, f"0 failed verification, {len(WEIGHTS) - 1} missing")
    assert "ok lpips-vgg-lin" in some.stdout
    (weights / get_spec("lpips-vgg-lin").filename).write_bytes(b"altered")
    assert_clean_failure(run_cli("weights", "verify", "lpips-vgg-lin", "vgg16", "--dir", weights),
                         "2 weights file(s) checked: 1 failed verification, 1 missing — fetch the failed ones again "
                         f"(see the lines above); run `a2bench weights fetch vgg16 --dir {weights}`")
