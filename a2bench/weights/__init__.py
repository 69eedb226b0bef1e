"""Network weights: the registry of files metrics need, verified resolution, fetching, random test weights."""

from a2bench.weights.registry import WEIGHTS, WeightSpec, get_spec
from a2bench.weights.store import (
    ENV_VAR,
    WeightsHashError,
    WeightsUnpinned,
    file_sha256,
    is_uncalibrated,
    load_checkpoint,
    resolve,
    verify_path,
    weights_folder,
)

__all__ = ["ENV_VAR", "WEIGHTS", "WeightSpec", "WeightsHashError", "WeightsUnpinned", "file_sha256", "get_spec",
           "is_uncalibrated", "load_checkpoint", "resolve", "verify_path", "weights_folder"]
