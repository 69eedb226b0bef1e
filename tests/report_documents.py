"""Hand-made results documents for report tests: values chosen so the best, second, means and tags are known."""

from __future__ import annotations

from typing import Any

import numpy as np

CASES = {"c1": {"body_structure": "humanoid", "style": "dance"}, "c2": {"body_structure": "humanoid", "style": "wave"},
         "c3": {"body_structure": "armless", "style": "dance"}, "c4": {"body_structure": "armless", "style": "wave"}}
PSNR = {"alpha": [20.0, 22.0, 24.0, 26.0], "beta": [25.0, 25.0, 25.0, 25.0], "gamma": [30.0, 10.0, 20.0, 20.0]}
L1 = {"alpha": [2e-4] * 4, "beta": [1e-4] * 4, "gamma": [1e-4] * 4}
METRIC_INFO = {
    "psnr": {"label": "PSNR*", "higher_is_better": True, "description": "PSNR in float64.",
             "reduction": {"item": "frame", "over": "items"}},
    "l1": {"label": "L1", "higher_is_better": False, "description": "Mean absolute error / (H·W).",
           "reduction": {"item": "frame", "over": "items"}},
    "fid": {"label": "FID", "higher_is_better": False, "description": "FID.", "reduction": None},
}
FID_REASON = ("/w/pt_inception.pth: weights 'fid-inception' are not in /w — run `a2bench weights fetch "
              "fid-inception`")


def metric(values: list[float]) -> dict[str, Any]:
    mean = float(np.mean(values))
    return {"value": mean, "ci95": [mean - 0.5 * abs(mean), mean + 0.5 * abs(mean)], "n": len(values)}


def document(names: dict[str, str] | None = None, suite: str = "synth-mini", setting: str = "self",
             protocol: str = "animatex-paper") -> dict[str, Any]:
    """Three methods (`names` renames alpha, beta, gamma), each scored on the four tagged cases; FID skipped for
    want of weights."""
    names = names or {}
    methods = {}
    for method in ("alpha", "beta", "gamma"):
        per_case = {case: {"psnr": PSNR[method][i], "l1": L1[method][i]} for i, case in enumerate(CASES)}
        methods[names.get(method, method)] = {
            "metrics": {"psnr": metric(PSNR[method]), "l1": metric(L1[method]),
                        "fid": {"value": None, "ci95": None, "n": 0, "skipped": FID_REASON}},
            "per_case": per_case, "notes": {}, "videos": {}}
    return {
        "format": 2,
        "protocol": {"id": protocol, "version": "1.1", "digest": "d" * 64},
        "suite": {"id": suite, "fingerprint": "f" * 64, "setting": setting, "verified": True},
        "run": {"device_type": "cpu", "mode": "exact", "weights": {}, "ground_truth": None},
        "provenance": {"a2bench": "0.1.0", "git_commit": "c" * 40, "created_at": "2026-01-02T03:04:05+00:00",
                       "packages": {"numpy": "2.0.0", "torch": "2.5.0"}, "seeds": {"bootstrap": 0},
                       "python": "3.11.7", "platform": "Linux"},
        "metric_info": {key: dict(info) for key, info in METRIC_INFO.items()},
        "methods": methods,
        "cases": {case: {"tags": dict(tags), "files": {}} for case, tags in CASES.items()},
    }


def many_methods_document(cases: dict[str, dict[str, Any]], methods: dict[str, dict[str, str]], seed: int = 0,
                          setting: str = "self") -> dict[str, Any]:
    """A document of every method on every case ({case: {"tags", "files"}}, {method: {case: prediction path}}),
    with random per-case PSNR*, SSIM, L1 and LPIPS and a FID per method."""
    rng = np.random.default_rng(seed)
    results = document(setting=setting)
    results["metric_info"] = {
        "psnr": METRIC_INFO["psnr"], "ssim": {"label": "SSIM", "higher_is_better": True, "description": "SSIM.",
                                              "reduction": {"item": "frame", "over": "items"}},
        "l1": METRIC_INFO["l1"], "lpips": {"label": "LPIPS", "higher_is_better": False, "description": "LPIPS.",
                                           "reduction": {"item": "frame", "over": "items"}},
        "fid": METRIC_INFO["fid"]}
    results["methods"] = {}
    for index, (method, videos) in enumerate(methods.items()):
        per_case = {case: {"psnr": float(rng.normal(20 + index, 2)), "ssim": float(rng.uniform(0.5, 0.9)),
                           "l1": float(rng.uniform(1e-4, 3e-4)), "lpips": float(rng.uniform(0.2, 0.6))}
                    for case in cases}
        metrics = {name: metric([values[name] for values in per_case.values()])
                   for name in ("psnr", "ssim", "l1", "lpips")}
        metrics["fid"] = {"value": float(rng.uniform(20, 80)), "ci95": None, "n": len(cases)}
        results["methods"][method] = {"metrics": metrics, "per_case": per_case, "notes": {}, "videos": dict(videos)}
    results["cases"] = {case: {"tags": dict(info["tags"]), "files": dict(info["files"])}
                        for case, info in cases.items()}
    return results
