"""Loading a verified state_dict into a network, tolerating what old checkpoints legitimately lack."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn

from a2bench.errors import A2BenchError

Net = TypeVar("Net", bound=nn.Module)


def load_state_dict_lenient(model: nn.Module, state: dict[str, torch.Tensor], path: Path) -> None:
    """Load strictly, except that BatchNorm's `num_batches_tracked` may be absent (old checkpoints lack it)."""
    try:
        result = model.load_state_dict(state, strict=False)
    except RuntimeError as exc:
        raise A2BenchError(f"weights do not fit the network: {str(exc).splitlines()[-1].strip()}", path=path,
                           fix="fetch the file again") from None
    missing = [key for key in result.missing_keys if not key.endswith("num_batches_tracked")]
    if missing or result.unexpected_keys:
        raise A2BenchError(f"weights do not fit the network: missing {missing[:3]}, unexpected "
                           f"{result.unexpected_keys[:3]}", path=path, fix="fetch the file again")


def prepared(model: Net, device: str | torch.device) -> Net:
    """Eval mode, no gradients, on `device`."""
    return model.eval().requires_grad_(False).to(device)


_LOADED: dict[Hashable, Any] = {}


def load_once(key: Hashable, build: Callable[[], Any]) -> Any:
    """The network loaded under `key` (its class, weights sha256s, variant, device), built on first request:
    each network is loaded once per process however many metrics or extractors use it."""
    if key not in _LOADED:
        _LOADED[key] = build()
    return _LOADED[key]
