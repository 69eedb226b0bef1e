"""Metric registry: a metric is one class registered under the protocols it belongs to."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from a2bench.errors import UnknownNameError
from a2bench.metrics.base import Metric
from a2bench.metrics.protocols import PROTOCOLS, get_protocol

_REGISTRY: dict[tuple[str, str], type[Metric]] = {}
MetricClass = TypeVar("MetricClass", bound=type[Metric])


def register(*protocols: str) -> Callable[[MetricClass], MetricClass]:
    """Class decorator: register a metric under the given protocol ids (all protocols when none)."""

    def decorate(cls: MetricClass) -> MetricClass:
        for protocol in protocols or tuple(PROTOCOLS):
            key = (protocol, cls.name)
            if key in _REGISTRY:
                raise ValueError(f"metric {cls.name!r} is registered twice under {protocol!r}")
            _REGISTRY[key] = cls
        return cls

    return decorate


def metric_names(protocol: str) -> list[str]:
    """Metric names available under a protocol, in registration order."""
    get_protocol(protocol)
    return [name for (proto, name) in _REGISTRY if proto == protocol]


def get_metric(protocol: str, name: str) -> Metric:
    """An instance of the metric `name` as the protocol defines it."""
    get_protocol(protocol)
    try:
        return _REGISTRY[(protocol, name)]()
    except KeyError:
        known = ", ".join(metric_names(protocol))
        raise UnknownNameError(f"unknown metric '{name}' for protocol '{protocol}'",
                               fix=f"use some of: {known}") from None


DEFAULT_METRICS = ("psnr", "ssim", "l1")


def resolve_metrics(protocol: str, names: Iterable[str] | None) -> list[Metric]:
    """Instances for the requested metric names (the default set when none), validated up front."""
    chosen = list(names) if names else [n for n in DEFAULT_METRICS if n in metric_names(protocol)]
    if not chosen:
        raise UnknownNameError("no metric requested", fix="pass --metrics psnr,ssim,l1")
    seen = set()
    metrics = []
    for name in chosen:
        if name not in seen:
            seen.add(name)
            metrics.append(get_metric(protocol, name))
    return metrics
