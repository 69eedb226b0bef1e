"""The regression gate: paired bootstrap intervals checked against hand computations, exit statuses 0/1/2 as CI
reads them, JUnit XML, and every usage error as one line with exit status 2."""

from __future__ import annotations

import json
import sqlite3
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg

from a2bench.cli.app import main
from a2bench.metrics.frechet import FrechetDistance
from a2bench.reports.compare import CompareUsageError, parse_tolerances
from a2bench.reports.paired import paired_case_ci, paired_set_ci
from a2bench.store import STORE_FILE
from tests.cli_helpers import run_cli
from tests.report_runs import FINGERPRINT, make_run

CASES = [f"case-{i:02d}" for i in range(8)]
BASE_PSNR = [20.0, 22.5, 21.0, 25.0, 19.5, 23.0, 24.0, 20.5]


def hand_interval(statistics: list[float]) -> tuple[float, float]:
    return float(np.percentile(statistics, 2.5)), float(np.percentile(statistics, 97.5))


def scipy_fid(pred: np.ndarray, gt: np.ndarray) -> float:
    """Fréchet distance the textbook way (scipy's sqrtm), independent of a2bench's eigh route."""
    mu1, mu2 = pred.mean(axis=0), gt.mean(axis=0)
    s1, s2 = np.cov(pred, rowvar=False), np.cov(gt, rowvar=False)
    root = scipy.linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(root))


def test_paired_case_interval_matches_a_hand_computation() -> None:
    rng = np.random.default_rng(7)
    candidate, baseline = rng.normal(20, 2, 12), rng.normal(21, 2, 12)
    wc, wb = rng.integers(10, 40, 12).astype(float), rng.integers(10, 40, 12).astype(float)
    picks = np.random.default_rng(3).integers(0, 12, size=(500, 12))
    statistics = []
    for pick in picks:
        c = sum(candidate[i] * wc[i] for i in pick) / sum(wc[i] for i in pick)
        b = sum(baseline[i] * wb[i] for i in pick) / sum(wb[i] for i in pick)
        statistics.append(c - b)
    assert paired_case_ci(candidate, baseline, wc, wb, seed=3, resamples=500) == pytest.approx(
        hand_interval(statistics), abs=1e-12)
    assert paired_case_ci([1.0], [2.0], [1.0], [1.0]) is None


def test_paired_set_interval_matches_a_hand_computation() -> None:
    rng = np.random.default_rng(11)
    gt = [rng.normal(size=(6, 3)) for _ in range(5)]
    candidate = [(g + rng.normal(0.5, 0.3, g.shape), g) for g in gt]
    baseline = [(g + rng.normal(0.0, 0.3, g.shape), g) for g in gt]
    statistics = []
    for pick in np.random.default_rng(0).integers(0, 5, size=(40, 5)):
        both = [np.concatenate([blocks[i][part] for i in pick]) for blocks in (candidate, baseline) for part in (0, 1)]
        statistics.append(scipy_fid(both[0], both[1]) - scipy_fid(both[2], both[3]))
    ours = paired_set_ci(candidate, baseline, FrechetDistance(), seed=0, resamples=40)
    assert ours == pytest.approx(hand_interval(statistics), rel=1e-6)


def test_tolerances_are_parsed_or_refused() -> None:
    tolerances = parse_tolerances(["psnr=0.5", "fvd=2%"])
    assert tolerances["psnr"].allowed(30.0) == 0.5 and tolerances["fvd"].allowed(150.0) == pytest.approx(3.0)
    for bad, words in (("psnr", "is not METRIC=DELTA"), ("psnr=", "is not METRIC=DELTA"), ("=1", "is not METRIC"),
                       ("psnr=abc", "is not a number"), ("psnr=-1", "≥ 0"), ("psnr=nan", "≥ 0")):
        with pytest.raises(CompareUsageError, match=words):
            parse_tolerances([bad])
    with pytest.raises(CompareUsageError, match="twice"):
        parse_tolerances(["psnr=1", "psnr=2"])


def pair(tmp_path: Path, shift: float = 0.0, noise: float = 0.0, fid_shift: float | None = None,
         candidate_cases: list[str] = CASES, **candidate_options: object) -> tuple[Path, Path]:
    """A baseline run and a candidate whose PSNR* moves by `shift` (plus per-case noise), SSIM unchanged, and
    FID features moved by `fid_shift` (no FID when None)."""
    rng = np.random.default_rng(1)
    wiggle = rng.normal(0, noise, len(CASES)) if noise else np.zeros(len(CASES))
    wiggle -= wiggle.mean()  # the suite value moves by `shift` exactly
    base = {"m": {c: {"psnr": BASE_PSNR[i], "ssim": 0.8} for i, c in enumerate(CASES)}}
    cand = {"m": {c: {"psnr": BASE_PSNR[i] + shift + wiggle[i], "ssim": 0.8} for i, c in enumerate(CASES)
                  if c in candidate_cases}}
    features: dict[str, dict] = {"base": {}, "cand": {}}
    if fid_shift is not None:
        gt = {c: rng.normal(size=(4, 3)) for c in CASES}
        noise_rows = {c: rng.normal(0, 0.2, (4, 3)) for c in CASES}
        features = {"base": {"m": {"fid": {c: (gt[c] + noise_rows[c], gt[c]) for c in CASES}}},
                    "cand": {"m": {"fid": {c: (gt[c] + noise_rows[c] + fid_shift, gt[c]) for c in candidate_cases}}}}
    cache = tmp_path / "cache"
    baseline = make_run(tmp_path / "baseline", base, features=features["base"], cache_dir=cache)
    candidate = make_run(tmp_path / "candidate", cand, features=features["cand"], cache_dir=cache,
                         **candidate_options)  # type: ignore[arg-type]
    return candidate, baseline


def gate(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """`a2bench compare ARGS` through the real entry point, in this process: (exit status, stdout, stderr)."""
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(sys, "argv", ["a2bench", "compare", *map(str, args)])
    code = 0
    try:
        main()
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_identical_runs_pass(tmp_path: Path) -> None:
    candidate, baseline = pair(tmp_path, fid_shift=0.0)
    result = run_cli("compare", candidate, baseline, "--junit", tmp_path / "gate.xml")
    assert result.returncode == 0, result.stderr
    assert "PASS" in result.stdout and result.stdout.count("unchanged") == 3
    suite = ET.parse(tmp_path / "gate.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0" and suite.get("tests") == "4"
    assert [case.get("name") for case in suite.iter("testcase")] == ["psnr", "ssim", "fid", "cases"]
    assert properties(tmp_path / "gate.xml")["suite"] == FINGERPRINT
    assert properties(tmp_path / "gate.xml")["uncalibrated"] == "false"


def properties(junit: Path) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in ET.parse(junit).getroot().iter("property")}


def test_junit_names_folder_ground_truth_and_uncalibrated_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    values = {"m": {c: {"psnr": BASE_PSNR[i]} for i, c in enumerate(CASES)}}
    runs = [make_run(tmp_path / name, values, suite=None, weights={"vgg16": "1" * 64}, uncalibrated=True)
            for name in ("candidate", "baseline")]
    code, out, _ = gate(monkeypatch, capsys, *runs, "--junit", tmp_path / "gate.xml")
    assert code == 0 and "UNCALIBRATED weights were used" in out
    found = properties(tmp_path / "gate.xml")
    assert "suite" not in found and "None" not in found.values()  # --gt runs: the files' fingerprint instead
    assert found["ground_truth"] == FINGERPRINT and found["uncalibrated"] == "true"


def test_a_significant_regression_fails_with_junit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    candidate, baseline = pair(tmp_path, shift=-0.75)
    code, out, _ = gate(monkeypatch, capsys, candidate, baseline, "--junit", tmp_path / "gate.xml")
    assert code == 1 and "FAIL" in out and "REGRESSED" in out and "-0.75" in out
    suite = ET.parse(tmp_path / "gate.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    failure = suite.find("testcase[@name='psnr']/failure")
    assert failure is not None and "baseline 21.94, candidate 21.19, difference -0.75" in (failure.text or "")
    assert suite.find("testcase[@name='ssim']/failure") is None
    assert gate(monkeypatch, capsys, candidate, baseline, "--max-regression", "psnr=1")[0] == 0
    assert gate(monkeypatch, capsys, candidate, baseline, "--max-regression", "psnr=5%")[0] == 0  # 5% of 21.94
    assert gate(monkeypatch, capsys, candidate, baseline, "--max-regression", "psnr=3%")[0] == 1


def test_a_regression_within_the_noise_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    candidate, baseline = pair(tmp_path, shift=-0.3, noise=2.0)
    code, out, _ = gate(monkeypatch, capsys, candidate, baseline, "--metrics", "psnr")
    assert code == 0 and "worse, interval includes 0" in out


def test_an_improvement_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    candidate, baseline = pair(tmp_path, shift=+1.0)
    code, out, _ = gate(monkeypatch, capsys, candidate, baseline)
    assert code == 0 and "better" in out


def test_fid_is_recomputed_from_the_stored_features(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from a2bench.metrics.cache import FeatureCache
    from a2bench.store import Store

    candidate, baseline = pair(tmp_path, fid_shift=0.8)
    code, out, _ = gate(monkeypatch, capsys, candidate, baseline, "--metrics", "fid", "--junit", tmp_path / "j.xml")
    assert code == 1 and "REGRESSED" in out
    values = []
    for run in (candidate, baseline):
        with Store(run / STORE_FILE, create=False) as store:
            blocks = store.features(1, "m", "fid")
        cache = FeatureCache(tmp_path / "cache")
        pred = np.concatenate([cache.load(cache.path_for(p, key)) for _, key, p, _ in blocks])
        gt = np.concatenate([cache.load(cache.path_for(g, key)) for _, key, _, g in blocks])
        values.append(scipy_fid(pred, gt))
    text = ET.parse(tmp_path / "j.xml").getroot().find("testsuite/testcase[@name='fid']/system-out").text
    assert f"baseline {values[1]:.3f}, candidate {values[0]:.3f}" in text  # type: ignore[operator]


def test_missing_candidate_cases_fail_the_gate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    candidate, baseline = pair(tmp_path, candidate_cases=CASES[:6])
    code, out, _ = gate(monkeypatch, capsys, candidate, baseline, "--junit", tmp_path / "j.xml")
    assert code == 1 and "2 baseline case(s) not scored by the candidate: case-06, case-07" in out
    failure = ET.parse(tmp_path / "j.xml").getroot().find("testsuite/testcase[@name='cases']/failure")
    assert failure is not None and failure.text == "case-06, case-07"


def test_runs_that_cannot_be_compared_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    base = {"m": {c: {"psnr": 20.0, "ssim": 0.5} for c in CASES}}
    baseline = make_run(tmp_path / "baseline", base)
    others = {"suite fingerprint": make_run(tmp_path / "suite", base, fingerprint="b2" * 32),
              "setting: rescaled vs self": make_run(tmp_path / "setting", base, setting="rescaled"),
              "protocol: a2bench-v1": make_run(tmp_path / "protocol", base, protocol="a2bench-v1")}
    for words, other in others.items():
        code, _, err = gate(monkeypatch, capsys, other, baseline, "--junit", tmp_path / "j.xml")
        assert code == 2 and "not comparable" in err and words in err, (words, err)
        error = ET.parse(tmp_path / "j.xml").getroot().find("testsuite/testcase/error")
        assert error is not None and "not comparable" in error.get("message", "")


@pytest.mark.parametrize(("args", "words"), [
    (["--metrics", "lpips"], "unknown metric 'lpips': not scored in both runs — use some of: psnr, ssim"),
    (["--max-regression", "psnr"], "--max-regression 'psnr' is not METRIC=DELTA"),
    (["--max-regression", "psnr=-2"], "must be a number ≥ 0"),
    (["--max-regression", "lpips=1"], "unknown metric 'lpips'"),
    (["--metrics", "ssim", "--max-regression", "psnr=1"], "--max-regression names psnr, which --metrics leaves out"),
    (["--metrics", ","], "names no metric"),
    (["--method", "other"], "the candidate run has no method 'other' (it has: m)"),
])
def test_bad_options_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                            args: list[str], words: str) -> None:
    candidate, baseline = pair(tmp_path)
    code, _, err = gate(monkeypatch, capsys, candidate, baseline, *args)
    assert code == 2 and words in err and "Traceback" not in err


def test_bad_run_directories_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    candidate, baseline = pair(tmp_path)
    (tmp_path / "file").write_text("x")
    (tmp_path / "empty").mkdir()
    for path, words in ((tmp_path / "nowhere", "candidate run directory does not exist"),
                        (tmp_path / "file", "candidate run directory is not a folder"),
                        (tmp_path / "empty", "candidate run directory has no a2bench.sqlite")):
        code, _, err = gate(monkeypatch, capsys, path, baseline)
        assert code == 2 and words in err, err
    two = make_run(tmp_path / "two", {"a": {"c": {"psnr": 1.0}}, "b": {"c": {"psnr": 2.0}}})
    code, _, err = gate(monkeypatch, capsys, two, baseline)
    assert code == 2 and "holds 2 methods (a, b)" in err and "--method NAME" in err
    code, _, err = gate(monkeypatch, capsys, candidate, baseline, "--junit", tmp_path / "empty")
    assert code == 2 and "is a folder, not a file" in err
    missing = run_cli("compare", candidate)
    assert missing.returncode == 2 and "Missing argument 'BASELINE_RUN'" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_skipped_metrics_are_listed_or_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    reason = "weights 'fid-inception' are missing — run `a2bench weights fetch fid-inception`"
    candidate, baseline = pair(tmp_path, fid_shift=0.0, skipped={"m": {"lpips": reason}})
    code, out, _ = gate(monkeypatch, capsys, candidate, baseline)
    assert code == 0 and "not compared: lpips — in the candidate run only" in out
    skipped_base = make_run(tmp_path / "skipped", {"m": {c: {"psnr": BASE_PSNR[i], "ssim": 0.8}
                                                         for i, c in enumerate(CASES)}},
                            skipped={"m": {"fid": reason}})
    code, out, _ = gate(monkeypatch, capsys, candidate, skipped_base)
    assert code == 0 and "not compared: fid — skipped in the baseline run" in out
    code, _, err = gate(monkeypatch, capsys, candidate, skipped_base, "--metrics", "fid")
    assert code == 2 and "fid cannot be compared: skipped in the baseline run" in err


def test_features_gone_from_the_cache_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from a2bench.metrics.cache import FeatureCache

    candidate, baseline = pair(tmp_path, fid_shift=0.0)
    FeatureCache(tmp_path / "cache").clear()
    code, _, err = gate(monkeypatch, capsys, candidate, baseline)
    assert code == 2 and "the feature cache holds no fid features of case case-00" in err and "--cache-dir" in err
    code, _, _ = gate(monkeypatch, capsys, candidate, baseline, "--metrics", "psnr,ssim")
    assert code == 0


def test_set_metrics_of_another_protocol_definition_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    candidate, baseline = pair(tmp_path, fid_shift=0.0)
    for run in (candidate, baseline):
        with sqlite3.connect(run / STORE_FILE) as db:
            (text,) = db.execute("SELECT protocol FROM runs").fetchone()
            db.execute("UPDATE runs SET protocol=?", (json.dumps({**json.loads(text), "digest": "0" * 64}),))
    code, _, err = gate(monkeypatch, capsys, candidate, baseline)
    assert code == 2 and "fid must be recomputed, but the installed a2bench defines animatex-paper" in err
    assert gate(monkeypatch, capsys, candidate, baseline, "--metrics", "psnr")[0] == 0


def test_runs_scored_by_the_service_are_gated_on_recomputed_fid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Runs scored for real by the evaluation service (store, feature cache, digests), with FID's Inception
    replaced by a cheap feature (mean colour of a 13×13 grid of blocks of Inception's 299×299 input) so the test
    needs no network."""
    from a2bench.evaluation import ScoringOptions, Target, prepare
    from a2bench.metrics.base import ResolvedWeights
    from a2bench.metrics.fid import InceptionExtractor
    from a2bench.pairs import match_folders
    from a2bench.reports.table import format_value
    from a2bench.video.io import write_video

    def cheap_prepare(self: InceptionExtractor, context: object) -> None:
        self.weights = ResolvedWeights("fid-inception", tmp_path / "none.pth", "5" * 64, False)
        self._key = "test-blocks:13x13:" + "5" * 64

    def cheap_extract(self: InceptionExtractor, hosted: np.ndarray) -> np.ndarray:
        t = hosted.shape[0]
        return np.asarray(hosted).reshape(t, 13, 23, 13, 23, 3).mean(axis=(2, 4)).reshape(t, -1).astype(np.float64)

    monkeypatch.setattr(InceptionExtractor, "prepare", cheap_prepare)
    monkeypatch.setattr(InceptionExtractor, "extract_hosted", cheap_extract)
    monkeypatch.setattr("a2bench.scoring.require_present", lambda names, folder: None)  # the feature needs no file
    rng = np.random.default_rng(4)
    for case in ("c1", "c2", "c3", "c4"):
        truth = np.repeat(np.repeat(rng.integers(0, 256, (6, 2, 3, 3), dtype=np.uint8), 8, 1), 8, 2)
        write_video(tmp_path / "gt" / case, truth)
        write_video(tmp_path / "same" / case, truth)
        write_video(tmp_path / "noisy" / case, np.clip(truth.astype(int) + rng.integers(-40, 40, truth.shape),
                                                         0, 255).astype(np.uint8))
    options = ScoringOptions(metrics=["psnr", "fid"], device="cpu", cache_dir=tmp_path / "cache",
                             bootstrap_resamples=0)
    for name in ("same", "noisy"):
        pairs = match_folders(tmp_path / name, tmp_path / "gt")
        prepare(tmp_path / f"run-{name}", options, Target(), pairs).score("m", pairs)
    code, out, _ = gate(monkeypatch, capsys, tmp_path / "run-noisy", tmp_path / "run-same", "--junit",
                        tmp_path / "gate.xml", "--set-resamples", "50")
    suite = ET.parse(tmp_path / "gate.xml").getroot().find("testsuite")
    assert code == 1 and "FAIL" in out and suite is not None and suite.get("failures") == "2"  # psnr and fid
    fid = suite.find("testcase[@name='fid']/system-out")
    stored = [export(tmp_path / f"run-{name}")["methods"]["m"]["metrics"]["fid"]["value"] for name in ("same", "noisy")]
    assert fid is not None and f"baseline {format_value(stored[0])}, candidate {format_value(stored[1])}" in fid.text
    from a2bench.reports.compare import compare_runs

    intervals = [compare_runs(tmp_path / "run-noisy", tmp_path / "run-same", metrics=["fid"], set_resamples=30,
                              workers=workers).results[0].ci95 for workers in (0, 2)]
    assert intervals[0] is not None and intervals[0] == intervals[1]  # resamples in worker processes: same numbers


def export(run: Path) -> dict:
    from a2bench.evaluation import export_results

    return export_results(run)
