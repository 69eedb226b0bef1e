"""Metric interfaces, their parameters and reductions, feature extractors, and the context they run in.

Three kinds of metric; a protocol declaration (protocols/) instantiates them with parameters:
- FrameMetric: one value per aligned (prediction, ground truth) frame pair (PSNR, SSIM, L1, LPIPS).
- CaseMetric: values computed from a case's frames, not necessarily against ground truth (CLIP identity
  vs the reference image, CLIP temporal consistency between consecutive frames).
- DistributionMetric: a distance between the feature sets of all predicted and all ground-truth videos
  (FID, FID-VID, FVD), from a FeatureExtractor shared by every metric that declares the same one.
Case and frame metrics declare their Reduction: what one value is computed on, and how values become a
case value and the suite value. Scoring and results apply it; nothing assumes "mean weighted by frames".
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np

from a2bench.errors import MissingInput, WeightsMissing

if TYPE_CHECKING:
    from a2bench.metrics.frechet import FrechetDistance
    from a2bench.metrics.preprocess import Pipeline
    from a2bench.metrics.runtime import ItemKind

__all__ = ["FRAME_MEAN", "NO_PARAMS", "PAIR_MEAN", "CaseFrames", "CaseMetric", "DeclaredExtractor",
           "DistributionMetric", "ExtractorSpec", "FeatureExtractor", "FrameMetric", "Metric", "MetricContext",
           "MissingInput", "NoParams", "Reduction", "ResolvedWeights", "WeightsMissing"]


@dataclass
class MetricContext:
    """Where and how networks run, where weights and cached features live. Recorded in provenance."""

    device: str = "cpu"
    batch_size: int = 16
    workers: int = 0
    weights_dir: Path | None = None
    fast: bool = False
    cache_dir: Path | None = None
    threads: int | None = None  # torch/BLAS/OpenCV threads of the main process (default: runtime.cpu_threads)
    notes: dict[str, Any] = field(default_factory=dict)

    def torch_device(self) -> str:
        """The torch device string: `auto` picks CUDA when available (imports torch lazily)."""
        if self.device != "auto":
            return self.device
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    @property
    def mode(self) -> str:
        """`exact` (batch-independent, deterministic) or `fast<batch>` (batched, TF32/autotuning allowed)."""
        return f"fast{self.batch_size}" if self.fast else "exact"

    def provenance(self) -> dict[str, Any]:
        """What about this context can change a number: recorded with every result (the batch size only with
        --fast: exact mode's batch shape is in the execution tags)."""
        batch = {"batch_size": self.batch_size} if self.fast else {}
        return {"device": self.device, **batch, "fast": self.fast, **self.notes}


# ---------------------------------------------------------------- parameters and reductions


@dataclass(frozen=True)
class NoParams:
    """Parameters of a metric that has none."""


NO_PARAMS = NoParams()


@dataclass(frozen=True)
class Reduction:
    """How a case or frame metric's values become a case value and the suite value.

    `item` names what one value is computed on (a frame, a pair of consecutive frames). A case's value is
    the mean of its item values; the suite value is the mean over every item of every case (`items`: longer
    videos weigh more, as DisCo's per-frame means do) or the mean of case values (`cases`).
    """

    item: str
    plural: str
    over: Literal["items", "cases"] = "items"

    def case_value(self, values: np.ndarray) -> tuple[float, int]:
        """(mean, number of items) of one case's item values."""
        values = np.asarray(values, dtype=np.float64).ravel()
        if values.size == 0:
            raise MissingInput(f"no {self.item} to score")
        return float(values.mean()), int(values.size)

    def declaration(self) -> dict[str, str]:
        return {"item": self.item, "over": self.over}

    def describe(self) -> str:
        suite = f"mean over all {self.plural} of all cases" if self.over == "items" else "mean of case means"
        return f"case: mean over its {self.plural}; suite: {suite}"


FRAME_MEAN = Reduction("frame", "frames")
PAIR_MEAN = Reduction("pair of consecutive frames", "pairs of consecutive frames")


def suite_value(over: str, means: Sequence[float], items: Sequence[int]) -> float:
    """The suite value from case means and item counts, for a declared reduction's `over` (a pure function of
    stored values, so an old run is aggregated as it was declared, whatever the current code says)."""
    means_array = np.asarray(means, dtype=np.float64)
    weights = np.asarray(items, dtype=np.float64) if over == "items" else np.ones(len(means_array))
    return float((means_array * weights).sum() / weights.sum())


# ---------------------------------------------------------------- weights


@dataclass(frozen=True)
class ResolvedWeights:
    """A weights file resolved and hashed once: what provenance records for it."""

    name: str
    path: Path
    sha256: str
    uncalibrated: bool

    def provenance(self) -> dict[str, Any]:
        return {"file": self.path.name, "sha256": self.sha256, "uncalibrated": self.uncalibrated}


def resolve_weights(name: str, context: MetricContext) -> ResolvedWeights:
    """Find, verify and hash the weights `name` once; WeightsMissing (with the fetch command) when absent."""
    from a2bench.weights.store import file_sha256, is_uncalibrated, resolve

    path = resolve(name, context.weights_dir)
    return ResolvedWeights(name, path, file_sha256(path), is_uncalibrated(path))


# ---------------------------------------------------------------- feature extractors


class FeatureExtractor(ABC):
    """Turns one decoded video (or image) into feature rows (n, D). `key` names how, so cached features are
    reused only for the very same computation."""

    @property
    @abstractmethod
    def key(self) -> str:
        """Cache key component: network, variant, preprocessing, weights sha256, execution."""

    @abstractmethod
    def extract(self, frames: np.ndarray) -> np.ndarray:
        """Feature rows (float64, (n, D)) for uint8 frames (T, H, W, 3)."""


@dataclass(frozen=True)
class ExtractorSpec:
    """What a network extractor is: its class, network, variant, weights name and preprocessing id.

    Metrics that declare equal specs share one prepared extractor and one feature pass per video.
    """

    cls: type[DeclaredExtractor]
    network: str
    weights: str
    preprocessing: Pipeline
    variant: str = ""

    def declaration(self) -> dict[str, str]:
        return {"network": self.network, "variant": self.variant, "weights": self.weights,
                "preprocessing": self.preprocessing.id}

    def build(self) -> DeclaredExtractor:
        return self.cls(self)


class DeclaredExtractor(FeatureExtractor):
    """A network extractor built from its ExtractorSpec: `prepare` resolves and hashes the weights once, loads
    the network (once per process, shared by extractors of the same class, weights and variant) and derives the
    cache key; subclasses say how to load, what the network inputs are and how outputs become the video's rows."""

    items: ClassVar[ItemKind] = "frames"  # what one network input is: a frame, or a clip of frames ("clips")

    def __init__(self, spec: ExtractorSpec):
        self.spec = spec
        self.weights: ResolvedWeights | None = None
        self._key: str | None = None

    def prepare(self, context: MetricContext) -> None:
        """Resolve the weights (WeightsMissing when absent), load the network, fix the cache key."""
        from a2bench.metrics.runtime import execution_tag

        if self.weights is not None:
            return
        weights = resolve_weights(self.spec.weights, context)
        self.context = context
        from a2bench.metrics.networks.loading import load_once

        self.network = load_once((type(self), weights.sha256, self.spec.variant, context.torch_device()),
                                 lambda: self.load(weights.path, context))
        self.weights = weights
        spec = self.spec
        self._key = (f"{spec.network}{'-' + spec.variant if spec.variant else ''}:{spec.preprocessing.id}:"
                     f"{weights.sha256}:{execution_tag(context, self.network, self.items)}")

    @property
    def key(self) -> str:
        if self._key is None:
            raise RuntimeError(f"extractor {self.spec.network} used before prepare()")
        return self._key

    @abstractmethod
    def load(self, path: Path, context: MetricContext) -> Any:
        """The network, in eval mode on the context's device, from the verified weights at `path`."""

    def host_function(self) -> Callable[[np.ndarray], np.ndarray]:
        """The host (CPU) part of the declared preprocessing, picklable, so worker processes can run it."""
        host = self.spec.preprocessing.host
        if host is None:
            raise TypeError(f"{type(self).__name__} must define host_function for {self.spec.preprocessing.id}")
        return host

    def host_inputs(self, frames: np.ndarray) -> np.ndarray:
        return self.host_function()(frames)

    def device_inputs(self, hosted: Any) -> Any:
        """The tensor part of the declared preprocessing, on the network's device."""
        device = self.spec.preprocessing.device
        return device(hosted) if device is not None else hosted

    def rows(self, outputs: np.ndarray) -> np.ndarray:
        """The video's feature rows from the network outputs of its inputs (default: one row per input)."""
        return outputs

    def run(self, batch: Any) -> Any:
        """The network on one batch of device inputs."""
        return self.network(batch)

    def extract(self, frames: np.ndarray) -> np.ndarray:
        return self.extract_hosted(self.host_inputs(frames))

    def extract_hosted(self, hosted: np.ndarray) -> np.ndarray:
        """Feature rows from the host part's output: uploaded once, finished and batched on the device, one
        transfer back per video."""
        from a2bench.metrics.runtime import forward, upload

        inputs = self.device_inputs(upload(hosted, self.context))
        return self.rows(forward(self.run, (inputs,), self.context, self.items).double().cpu().numpy())

    def provenance(self) -> dict[str, Any]:
        """The weights entry this extractor's features depend on."""
        assert self.weights is not None
        return self.weights.provenance()


# ---------------------------------------------------------------- cases and metrics


FeatureHook = Callable[[FeatureExtractor, np.ndarray, str], np.ndarray]


def _direct(extractor: FeatureExtractor, frames: np.ndarray, role: str) -> np.ndarray:
    return extractor.extract(frames)


@dataclass(frozen=True)
class CaseFrames:
    """Decoded inputs of one case: the prediction (raw and aligned to the ground truth), the ground truth
    and the reference image when known. All uint8 RGB; videos (T, H, W, 3), the reference (H, W, 3).

    `features(extractor, role)` computes a role's feature rows once per case (through the feature cache when
    the scorer provides one), so metrics that share an extractor share its pass.
    """

    case_id: str
    pred: np.ndarray
    aligned: np.ndarray
    gt: np.ndarray | None = None
    reference: np.ndarray | None = None
    hook: FeatureHook = _direct
    memo: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    def frames_of(self, role: Literal["pred", "gt", "reference"]) -> np.ndarray:
        if role == "reference":
            if self.reference is None:
                raise MissingInput("this metric needs the case's reference image", path=self.case_id,
                                   fix="pass --ref with one <case>.png per video, or score against a --suite")
            return self.reference[None]
        frames = self.pred if role == "pred" else self.gt
        if frames is None:
            raise MissingInput("this metric needs ground truth", path=self.case_id,
                               fix="score against a folder of ground-truth videos")
        return frames

    def features(self, extractor: FeatureExtractor, role: Literal["pred", "gt", "reference"]) -> np.ndarray:
        key = (extractor.key, role)
        if key not in self.memo:
            self.memo[key] = self.hook(extractor, self.frames_of(role), role)
        return self.memo[key]


class Metric(ABC):
    """What every metric declares: label, direction, parameters and a definition in words.

    `kind` is the class's registry name (recorded in protocol digests); `name` is the metric's name in a
    protocol (e.g. `fvd` and `fvd_gif` are both of kind `fvd`).
    """

    kind: ClassVar[str]
    label: ClassVar[str]
    higher_is_better: ClassVar[bool]
    Params: ClassVar[type] = NoParams

    def __init__(self, name: str | None = None, params: Any = NO_PARAMS, label: str | None = None):
        if not isinstance(params, self.Params):
            raise TypeError(f"{type(self).__name__} takes {self.Params.__name__}, got {type(params).__name__}")
        self.name = name or self.kind
        self.params = params
        self.label = label or type(self).label
        self.resolved: list[ResolvedWeights] = []

    @abstractmethod
    def describe(self) -> str:
        """The metric's definition in one line of words, from its parameters."""

    def weights_names(self) -> tuple[str, ...]:
        """Weights files the metric needs (directly or through its extractors)."""
        names = [spec.weights for spec in self.extractor_specs()]
        return tuple(dict.fromkeys([*names, *self.own_weights()]))

    def own_weights(self) -> tuple[str, ...]:
        """Weights the metric loads itself (not through an extractor)."""
        return ()

    @property
    def weights(self) -> tuple[str, ...]:
        return self.weights_names()

    def extractor_specs(self) -> tuple[ExtractorSpec, ...]:
        """Feature extractors the metric reads features from."""
        return ()

    def prepare(self, context: MetricContext,
                extractors: Mapping[ExtractorSpec, DeclaredExtractor] | None = None) -> None:
        """Load networks and weights once before scoring; WeightsMissing when they are absent.

        `extractors` are the scorer's shared, prepared extractors; without them the metric prepares its own.
        """
        self.context = context
        shared = dict(extractors or {})
        self.extractors: dict[ExtractorSpec, DeclaredExtractor] = {}
        for spec in self.extractor_specs():
            extractor = shared.get(spec) or spec.build()
            extractor.prepare(context)
            self.extractors[spec] = extractor
        self.resolved = [resolve_weights(name, context) for name in self.own_weights()]
        self.load(context)

    def load(self, context: MetricContext) -> None:  # noqa: B027  (optional hook; pixel metrics load nothing)
        """Load what the metric runs itself, from `self.resolved` weights."""

    def weights_provenance(self) -> dict[str, dict[str, Any]]:
        """Every weights file this prepared metric depends on, hashed once at prepare time."""
        entries = {weights.name: weights.provenance() for weights in self.resolved}
        for extractor in self.extractors.values():
            assert extractor.weights is not None
            entries[extractor.weights.name] = extractor.provenance()
        return entries

    def declaration(self) -> dict[str, Any]:
        """What the metric computes, for the protocol digest: kind, parameters, reduction, extractors, weights."""
        reduction = getattr(self, "reduction", None)
        return {
            "kind": self.kind,
            "higher_is_better": self.higher_is_better,
            "params": {f.name: _plain(getattr(self.params, f.name)) for f in dataclasses.fields(self.params)},
            "reduction": reduction.declaration() if isinstance(reduction, Reduction) else "set",
            "extractors": [spec.declaration() for spec in self.extractor_specs()],
            "weights": list(self.weights_names()),
        }


def _plain(value: Any) -> Any:
    """A parameter as JSON-able data: a named pipeline by its id."""
    return value.id if callable(value) and hasattr(value, "id") else value


class CaseMetric(Metric):
    """A metric with one value per item (frame, frame pair) of a case, from the case's decoded frames."""

    reduction: ClassVar[Reduction] = FRAME_MEAN

    @abstractmethod
    def case_values(self, case: CaseFrames) -> np.ndarray:
        """Per-item values (float64, 1-D) for one case."""


class FrameMetric(CaseMetric):
    """A metric with one value per aligned (prediction, ground truth) frame pair."""

    @abstractmethod
    def per_frame(self, pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
        """Values for aligned uint8 frames of shape (T, H, W, 3): a float64 array of length T."""

    def case_values(self, case: CaseFrames) -> np.ndarray:
        return self.per_frame(case.aligned, case.frames_of("gt"))


class DistributionMetric(Metric):
    """A distance between the features of all predicted and all ground-truth videos."""

    @abstractmethod
    def extractor_spec(self) -> ExtractorSpec:
        """The extractor whose per-video rows the distance is computed over."""

    def extractor_specs(self) -> tuple[ExtractorSpec, ...]:
        return (self.extractor_spec(),)

    def extractor(self) -> DeclaredExtractor:
        """The prepared extractor (after `prepare`)."""
        return self.extractors[self.extractor_spec()]

    @abstractmethod
    def distance_function(self) -> FrechetDistance:
        """The set distance, on the host and picklable (bootstrap resamples run in worker processes; scoring
        moves it to a fast-float64 GPU, a2bench.scoring.placed_distance): called on (prediction rows,
        ground-truth rows), and resampled from arrays it shares (metrics.bootstrap)."""

    def distance(self, pred_features: np.ndarray, gt_features: np.ndarray) -> float:
        """The metric from stacked feature rows of the prediction set and the ground-truth set."""
        return self.distance_function()(pred_features, gt_features)
