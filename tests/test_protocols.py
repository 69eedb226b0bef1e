"""Protocol declarations: pinned digests, a registry derived from the declarations, metric files that name no
protocol, a third protocol as one new declaration, and `a2bench metrics list` printing the declaration."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from a2bench.errors import UnknownNameError
from a2bench.metrics import PROTOCOLS, get_protocol, metric_names
from a2bench.metrics.protocol import Protocol, metric
from a2bench.metrics.psnr import PSNR
from a2bench.metrics.ssim import SSIM
from tests.cli_helpers import run_cli

# Every shipped protocol version and the digest of what it computes. A change to a declaration (a parameter,
# a preprocessing or network id, a reduction, the alignment) changes its digest: bump the protocol's version
# in metrics/protocols/ and add the new (version, digest) here; never edit a pinned row.
PINNED = {
    ("animatex-paper", "1.1"): "e21a7624378c245c85e080b64d20c5a799e263be5d657357c8c180bc925fea41",
    ("a2bench-v1", "1.1"): "699d0ae12b669a1c524d32c98d5bc48e5ef2dc6de3ffb028b665ea6db3abb731",
}
METRIC_FILES = Path(__file__).resolve().parent.parent / "metrics"


@pytest.mark.parametrize("protocol_id", ["animatex-paper", "a2bench-v1"])
def test_each_shipped_protocol_version_has_its_pinned_digest(protocol_id: str) -> None:
    protocol = get_protocol(protocol_id)
    pinned = PINNED.get((protocol.id, protocol.version))
    assert pinned is not None, (f"{protocol.id} v{protocol.version} has no pinned digest: add "
                                f"({protocol.id!r}, {protocol.version!r}): {protocol.digest()!r} to PINNED")
    assert protocol.digest() == pinned, (
        f"what {protocol.id} v{protocol.version} computes changed (digest {protocol.digest()} instead of {pinned}): "
        "bump its version in metrics/protocols/ and pin the new digest, so that numbers computed before and after "
        "the change never carry the same protocol version")


def test_digest_covers_parameters_preprocessing_and_reduction_not_wording() -> None:
    def toy(*metrics: object, version: str = "1", words: str = "a toy") -> Protocol:
        return Protocol("toy", version, words, metrics, defaults=())  # type: ignore[arg-type]

    base = toy(metric(PSNR), metric(SSIM, window="uniform"))
    reworded = toy(metric(PSNR, label="P"), metric(SSIM, window="uniform"), version="2", words="other words")
    other_window = toy(metric(PSNR), metric(SSIM, window="gaussian"))
    renamed = toy(metric(PSNR, "psnr2"), metric(SSIM, window="uniform"))
    assert base.digest() == reworded.digest()
    assert len({base.digest(), other_window.digest(), renamed.digest()}) == 3
    paper, v1 = get_protocol("animatex-paper"), get_protocol("a2bench-v1")
    assert paper.declaration()["metrics"]["fid"]["extractors"][0]["preprocessing"] == "clean-fid-pil-bicubic-299-clip"
    assert v1.declaration()["metrics"]["fvd"]["params"] == {"clips": "styleganv-fvd-bilinear-224-clip16-offset0",
                                                            "variant": "tats", "ddof": 0}
    assert v1.declaration()["metrics"]["clip_temporal"]["reduction"]["item"] == "pair of consecutive frames"


def test_unknown_parameters_are_refused_when_declared() -> None:
    with pytest.raises(TypeError, match="window_size"):
        metric(SSIM, window_size=11)


def test_metric_registry_is_derived_from_the_declarations() -> None:
    for protocol_id in ("animatex-paper", "a2bench-v1"):
        assert metric_names(protocol_id) == get_protocol(protocol_id).metric_names()
    assert "fvd_gif" in metric_names("animatex-paper") and "fvd_gif" not in metric_names("a2bench-v1")
    assert get_protocol("a2bench-v1").get_metric("ssim").params.window == "gaussian"
    assert get_protocol("animatex-paper").get_metric("ssim").params.window == "uniform"


def test_no_metric_file_names_a_protocol() -> None:
    ids = [re.escape(protocol_id) for protocol_id in PROTOCOLS.names()]
    pattern = re.compile("|".join(ids))
    files = [p for p in METRIC_FILES.rglob("*.py") if "protocols" not in p.parts and p.name != "registry.py"]
    offenders = [path.name for path in files if pattern.search(path.read_text(encoding="utf-8"))]
    assert not offenders, f"protocol ids appear in metric files: {offenders} (protocols live in metrics/protocols/)"


def test_a_third_protocol_is_one_declaration() -> None:
    third = Protocol("toy-protocol", "0.1", "PSNR only", (metric(PSNR),), defaults=("psnr",))
    PROTOCOLS.register(third)
    try:
        assert get_protocol("toy-protocol") is third and metric_names("toy-protocol") == ["psnr"]
        with pytest.raises(ValueError, match="registered twice"):
            PROTOCOLS.register(Protocol("toy-protocol", "0.2", "again", (metric(PSNR),), defaults=("psnr",)))
    finally:
        PROTOCOLS._entries.pop("toy-protocol")
    with pytest.raises(UnknownNameError, match="a2bench-v1"):
        get_protocol("toy-protocol")


def test_declarations_refuse_duplicates_and_undeclared_defaults() -> None:
    with pytest.raises(ValueError, match="twice"):
        Protocol("t", "1", "", (metric(PSNR), metric(PSNR)), defaults=())
    with pytest.raises(ValueError, match="undeclared"):
        Protocol("t", "1", "", (metric(PSNR),), defaults=("ssim",))


def test_metrics_list_prints_the_declaration_in_words() -> None:
    result = run_cli("metrics", "list", "--protocol", "animatex-paper")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    protocol = get_protocol("animatex-paper")
    assert f"v{protocol.version}" in text and protocol.digest() in text
    for fragment in ("bilinear", "7×7 uniform window", "clean-fid", "T − 15", "fvd_gif", "T − 16",
                     "pairs of consecutive", "DisCo#41"):
        assert fragment in text, fragment
    everything = run_cli("metrics", "list")
    assert "a2bench-v1" in everything.stdout and "animatex-paper" in everything.stdout
