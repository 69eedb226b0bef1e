"""What a protocol is: a version, an alignment rule and, per metric, its class and parameters; plus its digest.

A protocol is declared once, in one file of protocols/ (`Protocol(...)` listing `metric(Class, **params)`
entries). Everything else is derived from that declaration: which metrics exist under the protocol, how
`a2bench metrics list` describes them, and the digest, a sha256 of what the declaration computes (metric
names, classes, parameters, reductions, extractors with their network, variant, weights name and
preprocessing id, the alignment rule). The digest is recorded beside the id and version of every result;
tests/test_protocols.py pins it per shipped version, so a change to what a protocol computes without a
version bump fails CI.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from a2bench.errors import UnknownNameError
from a2bench.metrics.base import NO_PARAMS, Metric

DIGEST_FORMAT = 1
ASPECT_TOLERANCE = 0.01  # relative difference of W/H ratios above which a resize distorts the prediction


@dataclass(frozen=True)
class Alignment:
    """How predicted frames are brought to the ground truth before any metric sees them.

    `resize`: `opencv-bilinear` (cv2.resize with its default INTER_LINEAR, as DisCo's scripts resize a
    prediction whose size differs from the ground truth's). The aspect ratio is not kept; cases whose aspect
    ratio differs, or that are upsampled by more than `warn_upsample`, are reported per case (`notes`).
    """

    resize: str = "opencv-bilinear"
    warn_upsample: float = 2.0

    def declaration(self) -> dict[str, Any]:
        return {"resize": self.resize, "target": "ground truth size"}

    def apply(self, pred: np.ndarray, height: int, width: int) -> np.ndarray:
        """Predicted uint8 frames resized to (height, width) by the declared rule."""
        if pred.shape[1:3] == (height, width):
            return pred
        if self.resize != "opencv-bilinear":
            raise ValueError(f"unknown alignment resize {self.resize!r}")
        import cv2

        return np.stack([cv2.resize(frame, (width, height)) for frame in pred])

    def notes(self, pred_shape: tuple[int, ...], gt_shape: tuple[int, ...]) -> list[str]:
        """Warnings for a case whose prediction is distorted or much enlarged by the resize (scored anyway, as
        the protocol says, and reported per case)."""
        (ph, pw), (gh, gw) = pred_shape[1:3], gt_shape[1:3]
        if (ph, pw) == (gh, gw):
            return []
        notes = []
        if abs((pw / ph) / (gw / gh) - 1) > ASPECT_TOLERANCE:
            notes.append(f"prediction is {pw}×{ph} (W×H), aspect {pw / ph:.3f}; the ground truth's is {gw / gh:.3f}: "
                         "resized without keeping the aspect ratio")
        factor = max(gh / ph, gw / pw)
        if factor > self.warn_upsample:
            notes.append(f"prediction is {pw}×{ph}, upsampled {factor:.1f}× to the ground truth's {gw}×{gh}")
        return notes

    def describe(self) -> str:
        return ("predictions whose size differs from the ground truth's are resized to it with OpenCV's "
                "bilinear cv2.resize (aspect ratio not kept)")


@dataclass(frozen=True)
class MetricSpec:
    """One metric of a protocol: its class, its name in the protocol, its parameters and label."""

    cls: type[Metric]
    name: str
    params: Any = NO_PARAMS
    label: str | None = None

    def build(self) -> Metric:
        """A fresh, unprepared instance."""
        return self.cls(self.name, self.params, self.label)


def metric(cls: type[Metric], name: str | None = None, label: str | None = None, **params: Any) -> MetricSpec:
    """Declare a metric of a protocol: `metric(SSIM, window="gaussian")`, `metric(FVD, "fvd_gif", clips=...)`.

    Parameters are validated by the class's Params dataclass (an unknown one is an error at import time).
    """
    return MetricSpec(cls, name or cls.kind, cls.Params(**params), label)


@dataclass(frozen=True)
class Protocol:
    """A named, versioned evaluation protocol: every stored number names the protocol, version and digest."""

    id: str
    version: str
    description: str
    metrics: tuple[MetricSpec, ...]
    defaults: tuple[str, ...] = ("psnr", "ssim", "l1")
    alignment: Alignment = field(default_factory=Alignment)

    def __post_init__(self) -> None:
        names = [spec.name for spec in self.metrics]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"protocol {self.id} declares {', '.join(duplicates)} twice")
        unknown = [name for name in self.defaults if name not in names]
        if unknown:
            raise ValueError(f"protocol {self.id}'s defaults name undeclared metrics {unknown}")

    @property
    def name(self) -> str:
        return self.id

    def metric_names(self) -> list[str]:
        """Metric names in declaration order."""
        return [spec.name for spec in self.metrics]

    def spec(self, name: str) -> MetricSpec:
        for spec in self.metrics:
            if spec.name == name:
                return spec
        raise UnknownNameError(f"unknown metric '{name}' for protocol '{self.id}'",
                               fix=f"use some of: {', '.join(self.metric_names())}")

    def get_metric(self, name: str) -> Metric:
        """A fresh instance of the metric `name` as this protocol declares it."""
        return self.spec(name).build()

    def resolve(self, names: Iterable[str] | None) -> list[Metric]:
        """Instances for the requested names (the protocol's defaults when None), validated up front."""
        chosen = list(dict.fromkeys(self.defaults if names is None else names))
        if not chosen:
            raise UnknownNameError("no metric requested", fix=f"pass --metrics {','.join(self.defaults)}")
        return [self.get_metric(name) for name in chosen]

    def align(self, pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
        """Predicted frames brought to the ground truth's size by the declared alignment."""
        return self.alignment.apply(pred, gt.shape[1], gt.shape[2])

    def declaration(self) -> dict[str, Any]:
        """What the protocol computes, as JSON-able data: the digest's input (no id, version or wording)."""
        return {
            "format": DIGEST_FORMAT,
            "alignment": self.alignment.declaration(),
            "metrics": {spec.name: spec.build().declaration() for spec in self.metrics},
        }

    def digest(self) -> str:
        """sha256 of the canonical JSON of `declaration()`."""
        canonical = json.dumps(self.declaration(), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def metric_info(self, names: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Per metric: label, direction, definition and reduction in words (stored with a run, so reports of
        an old run describe what it computed then)."""
        info = {}
        for name in names:
            instance = self.get_metric(name)
            reduction = getattr(instance, "reduction", None)
            info[name] = {"label": instance.label, "higher_is_better": instance.higher_is_better,
                          "description": instance.describe(),
                          "reduction": reduction.declaration() if reduction is not None else None}
        return info

    def describe(self) -> list[tuple[str, str, str, str, str]]:
        """(name, label, better, definition, reduction) per metric, for `a2bench metrics list`."""
        rows = []
        for spec in self.metrics:
            instance = spec.build()
            reduction = getattr(instance, "reduction", None)
            how = reduction.describe() if reduction is not None else "one distance over all videos"
            rows.append((spec.name, instance.label, "higher" if instance.higher_is_better else "lower",
                         instance.describe(), how))
        return rows
