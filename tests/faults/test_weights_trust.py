"""Item 3: weights are trusted only for what they are: pinned on first use only when they hold the network, said apart
from a published hash, and no file in the weights folder overrides a published hash."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from a2bench.weights.registry import get_spec
from a2bench.weights.store import LOCK_FILE, UNCALIBRATED_FILE, is_uncalibrated, pin
from tests.cli_helpers import assert_clean_failure, run_cli

I3D = "i3d_pretrained_400.pt"


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
