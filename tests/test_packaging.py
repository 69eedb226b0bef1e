"""The wheel holds the mapped subpackages with their package data and nothing generic at the top level."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import a2bench.metrics

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(REPO)],
                   check=True, capture_output=True)
    (built,) = out.glob("a2bench-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


@pytest.mark.slow
def test_wheel_maps_subpackages_under_a2bench(wheel_names: list[str]) -> None:
    for module in ("a2bench/metrics/__init__.py", "a2bench/metrics/psnr.py", "a2bench/baselines/pose_warp.py",
                   "a2bench/reports/html.py", "a2bench/data_manifests/__init__.py", "a2bench/cli/app.py"):
        assert module in wheel_names


@pytest.mark.slow
def test_wheel_ships_templates_and_manifests(wheel_names: list[str]) -> None:
    assert "a2bench/reports/templates/leaderboard.html.j2" in wheel_names
    assert {"a2bench/reports/leaderboard.js", "a2bench/reports/paper_tables.json"} <= set(wheel_names)
    assert "a2bench/data_manifests/synth-mini.json" in wheel_names


@pytest.mark.slow
def test_wheel_has_no_generic_top_level_packages(wheel_names: list[str]) -> None:
    top_level = {name.split("/")[0] for name in wheel_names}
    assert not top_level & {"metrics", "reports", "baselines", "data_manifests", "tests"}
    assert {t for t in top_level if not t.endswith(".dist-info")} == {"a2bench"}


@pytest.mark.slow
def test_wheel_declares_console_script(wheel: Path, wheel_names: list[str]) -> None:
    (entry_points,) = [name for name in wheel_names if name.endswith("entry_points.txt")]
    with zipfile.ZipFile(wheel) as archive:
        assert "a2bench = a2bench.cli:main" in archive.read(entry_points).decode()


def test_editable_install_maps_metrics_to_the_source_folder() -> None:
    assert Path(a2bench.metrics.__file__).resolve().parent == REPO / "metrics"


@pytest.mark.slow
def test_wheel_holds_every_source_package(wheel_names: list[str]) -> None:
    mapping = {"a2bench": "a2bench", "metrics": "a2bench/metrics", "baselines": "a2bench/baselines",
               "reports": "a2bench/reports", "data_manifests": "a2bench/data_manifests"}
    for source, installed in mapping.items():
        for init in (REPO / source).rglob("__init__.py"):
            relative = init.relative_to(REPO / source).as_posix()
            assert f"{installed}/{relative}" in wheel_names, f"{source}/{relative} is not packaged"
