"""CPU adapters a test "lab package" registers through the `a2bench.adapters` entry point (see
`plugin_env` in tests/test_generate_runner.py): seed-dependent noise, slow, dying and hanging methods."""

from __future__ import annotations

import os
import time

import numpy as np

from a2bench.generate.adapter import Adapter, GenerationRequest


def _still(request: GenerationRequest) -> np.ndarray:
    return np.repeat(request.reference_image[None], request.frames, axis=0)


class NoiseAdapter(Adapter):
    name = "test-noise"
    description = "The reference plus noise drawn from the seed (so seeds differ)."

    def generate(self, request: GenerationRequest) -> np.ndarray:
        noise = np.random.default_rng(request.seed).normal(0, 12, (request.frames, *request.output_size, 3))
        return np.clip(_still(request) + noise, 0, 255).astype(np.uint8)


class SlowAdapter(Adapter):
    name = "test-slow"
    description = "The reference, after a pause (for kill tests)."

    def generate(self, request: GenerationRequest) -> np.ndarray:
        time.sleep(0.3)
        return _still(request)


class DyingAdapter(Adapter):
    name = "test-die"
    description = "Kills its worker process on cases whose id ends in -01 (a segfault, say)."

    def generate(self, request: GenerationRequest) -> np.ndarray:
        if request.case_id.endswith("-01"):
            os._exit(7)
        return _still(request)


class HangingAdapter(Adapter):
    name = "test-hang"
    description = "Never returns."

    def generate(self, request: GenerationRequest) -> np.ndarray:
        time.sleep(3600)
        return _still(request)


PLUGINS = {cls.name: f"tests.generate_plugins:{cls.__name__}"
           for cls in (NoiseAdapter, SlowAdapter, DyingAdapter, HangingAdapter)}
