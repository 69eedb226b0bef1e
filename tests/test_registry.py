"""The generic registry: type and duplicate checks, the naming rule, lazy built-ins and entry points."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from a2bench.errors import A2BenchError, UnknownNameError
from a2bench.names import InvalidName, check_name, is_valid_name
from a2bench.registry import Registry


class Base:
    name = "base"


def test_register_get_names_and_errors() -> None:
    registry: Registry[type[Base]] = Registry("widget", Base)

    @registry.register
    class One(Base):
        name = "one"

    assert registry.get("one") is One and registry.names() == ["one"] and "one" in registry
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(type("Other", (Base,), {"name": "one"}))
    with pytest.raises(TypeError, match="not a Base"):
        registry.register(type("Stranger", (), {"name": "stranger"}))
    with pytest.raises(UnknownNameError, match="use one of: one"):
        registry.get("two")
    with pytest.raises(InvalidName, match="contains '/'"):
        registry.register(type("Slash", (Base,), {"name": "a/b"}))


def test_instances_are_checked_against_the_base() -> None:
    registry: Registry[Base] = Registry("thing", Base)
    item = Base()
    assert registry.register(item) is item
    registry.register(item)  # the same object again is no duplicate
    with pytest.raises(TypeError):
        registry.register(SimpleNamespace(name="x"))


@pytest.mark.parametrize("name", ["ok", "Animate-X", "pose_warp.v2", "ＡＢＣ", "人物1", "a+b"])
def test_valid_names(name: str) -> None:
    assert is_valid_name(name) and check_name(name) == name


@pytest.mark.parametrize("name", ["", "a/b", "..", "a..b", "a b", "<b>x</b>", "x'y", "-lead", ".hidden", "a=b",
                                  "x" * 101, "tab\tname", "a\\b"])
def test_invalid_names_say_what_is_wrong(name: str) -> None:
    with pytest.raises(InvalidName, match="letters"):
        check_name(name, "suite name")


def _fake_distribution(root: Path, group: str, entries: dict[str, str], module: str, source: str) -> None:
    """An installed distribution on sys.path, declaring entry points, made by the test."""
    (root / f"{module}.py").write_text(source)
    info = root / "a2bench_test_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: a2bench-test-plugin\nVersion: 0.1\n")
    lines = "\n".join(f"{name} = {target}" for name, target in entries.items())
    (info / "entry_points.txt").write_text(f"[{group}]\n{lines}\n")


def test_a_lab_registers_its_method_from_its_own_package(tmp_path: Path) -> None:
    source = ("from a2bench.generate.adapter import Adapter\n"
              "class LabMethod(Adapter):\n"
              "    name = 'lab-method'\n"
              "    description = 'from a lab package'\n"
              "    def generate(self, request):\n"
              "        raise NotImplementedError\n")
    _fake_distribution(tmp_path, "a2bench.adapters", {"lab-method": "lab_plugin:LabMethod"}, "lab_plugin", source)
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "COLUMNS": "200"}
    result = subprocess.run([sys.executable, "-m", "a2bench", "methods", "list"], capture_output=True, text=True,
                            env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert "lab-method" in result.stdout and "static" in result.stdout


def test_a_broken_entry_point_is_named_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_distribution(tmp_path, "a2bench.test-broken", {"bad": "broken_plugin:Missing"}, "broken_plugin",
                       "raise RuntimeError('cannot import me')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry: Registry[type[Base]] = Registry("widget", Base, group="a2bench.test-broken")
    with pytest.raises(A2BenchError, match=r"entry point 'bad'.*cannot import me.*a2bench-test-plugin"):
        registry.names()
    sys.modules.pop("broken_plugin", None)
