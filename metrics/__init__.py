"""Metrics, registered per named protocol. Importing this package registers every built-in metric."""

from a2bench.metrics import l1, psnr, ssim  # noqa: F401  (registration side effects; pixel metrics listed first)

# isort: split
from a2bench.metrics import clip, fid, fid_vid, fvd, lpips_metric  # noqa: F401  (learned metrics)
from a2bench.metrics.base import FrameMetric, Metric
from a2bench.metrics.protocols import PROTOCOLS, Protocol, get_protocol
from a2bench.metrics.registry import get_metric, metric_names, resolve_metrics

__all__ = ["PROTOCOLS", "FrameMetric", "Metric", "Protocol", "get_metric", "get_protocol", "metric_names",
           "resolve_metrics"]
