"""Shared fixtures: an isolated data root and a generated synth-mini suite (made once per session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from a2bench.data.prepare import prepare_generated
from a2bench.data.suites import Suite, open_suite


@pytest.fixture(scope="session", autouse=True)
def private_user_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests and the a2bench processes they start use a temporary per-user cache (feature cache, weights
    default), never the user's own; installed real weights are still found, through $A2BENCH_WEIGHTS."""
    from a2bench.weights.store import ENV_VAR, weights_folder

    patch = pytest.MonkeyPatch()
    patch.setenv(ENV_VAR, str(weights_folder()))
    patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("user-cache")))
    yield
    patch.undo()


@pytest.fixture(scope="session")
def synth_mini(tmp_path_factory: pytest.TempPathFactory) -> Suite:
    """synth-mini generated into a session-wide temporary data root (read-only for tests)."""
    root = tmp_path_factory.mktemp("data")
    suite = open_suite("synth-mini", root)
    prepare_generated(suite)
    return suite


@pytest.fixture
def data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data root, also exported as $A2BENCH_DATA so CLI calls use it."""
    root = tmp_path / "data"
    monkeypatch.setenv("A2BENCH_DATA", str(root))
    return root


@pytest.fixture(scope="session")
def random_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with every registered weights file, random-initialised once per session (lpips linear layers are
    copied as the package ships them)."""
    from a2bench.weights.random_init import init_random
    from tests.weights_fixtures import SEED

    folder = tmp_path_factory.mktemp("random-weights")
    init_random(folder, SEED)
    return folder


@pytest.fixture(scope="session")
def i3d_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file holding an (untrained) InceptionI3d in the layout of i3d_pretrained_400.pt, not recorded anywhere as
    random: stands in for a real download where a test needs a file that a2bench will pin."""
    import torch

    from a2bench.weights.layout import layouts

    layout = layouts()["i3d-kinetics400"]
    torch.manual_seed(1)
    path = tmp_path_factory.mktemp("i3d") / "i3d_pretrained_400.pt"
    torch.save(layout.to_file(layout.build()), path)
    return path
