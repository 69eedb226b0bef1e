"""Metrics and the protocols that declare them (protocols/). Importing this package is cheap: metric
modules and protocol declarations load on the first lookup."""

from a2bench.metrics.base import FrameMetric, Metric
from a2bench.metrics.protocol import Protocol
from a2bench.metrics.registry import (
    DEFAULT_PROTOCOL,
    METRICS,
    PROTOCOLS,
    get_metric,
    get_protocol,
    metric_names,
    protocol_names,
    resolve_metrics,
)

__all__ = ["DEFAULT_PROTOCOL", "METRICS", "PROTOCOLS", "FrameMetric", "Metric", "Protocol", "get_metric",
           "get_protocol", "metric_names", "protocol_names", "resolve_metrics"]
