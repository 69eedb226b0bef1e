"""The metric-class and protocol registries, and lookups derived from the protocol declarations.

Metric classes register by kind (`@METRICS.register`) and protocols by id; both also load from entry-point
groups (`a2bench.metrics`, `a2bench.protocols`), so a lab can ship its own metric and the protocol that uses
it from its own package. Which metrics a protocol has, and with which parameters, comes from its declaration.
"""

from __future__ import annotations

from collections.abc import Iterable

from a2bench.metrics.base import Metric
from a2bench.metrics.protocol import Protocol
from a2bench.registry import Registry

METRICS: Registry[type[Metric]] = Registry(
    "metric", Metric, group="a2bench.metrics", name_of=lambda cls: cls.kind,
    builtins=tuple(f"a2bench.metrics.{module}" for module in
                   ("psnr", "ssim", "l1", "lpips_metric", "clip", "fid", "fid_vid", "fvd")))

PROTOCOLS: Registry[Protocol] = Registry(
    "protocol", Protocol, group="a2bench.protocols", name_of=lambda protocol: protocol.id,
    builtins=("a2bench.metrics.protocols",))

DEFAULT_PROTOCOL = "animatex-paper"


def get_protocol(name: str) -> Protocol:
    """The protocol declared under id `name`, with the known ids in the error."""
    return PROTOCOLS.get(name)


def protocol_names() -> list[str]:
    return PROTOCOLS.names()


def metric_names(protocol: str) -> list[str]:
    """Metric names a protocol declares, in declaration order."""
    return get_protocol(protocol).metric_names()


def get_metric(protocol: str, name: str) -> Metric:
    """A fresh instance of the metric `name` as the protocol declares it."""
    return get_protocol(protocol).get_metric(name)


def resolve_metrics(protocol: str, names: Iterable[str] | None) -> list[Metric]:
    """Instances for the requested metric names (the protocol's defaults when None), validated up front."""
    return get_protocol(protocol).resolve(names)
