"""Method configuration: the `[methods.NAME]` tables of a2bench.toml, where a user says where each external
repository, its interpreter and its checkpoints are.

The file is `--config FILE`, else `$A2BENCH_CONFIG`, else `./a2bench.toml`, else `a2bench.toml` in the per-user
config folder. Relative paths in it are relative to the file's folder; `~` is expanded.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from a2bench.errors import A2BenchError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_ENV = "A2BENCH_CONFIG"
CONFIG_NAME = "a2bench.toml"
COMMON_KEYS = {"repo": "path", "python": "path", "checkpoints": "path", "timeout": "seconds",
               "extra_args": "list of strings", "env": "table of strings", "overrides": "table"}


class ConfigError(A2BenchError):
    """An a2bench.toml that cannot be used."""


@dataclass(frozen=True)
class MethodConfig:
    """One method's table: repository, interpreter, checkpoints, time limit, extra arguments and options."""

    name: str
    source: Path
    repo: Path | None = None
    python: Path | None = None
    checkpoints: Path | None = None
    timeout: float | None = None
    extra_args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    def where(self) -> str:
        return f"[methods.{self.name}] in {self.source}"


def user_config_file() -> Path:
    """a2bench.toml in the per-user config folder (e.g. ~/.config/a2bench/)."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("a2bench", appauthor=False)) / CONFIG_NAME


def find_config(explicit: Path | None = None) -> Path | None:
    """The config file in effect, or None when there is none; an explicit or $A2BENCH_CONFIG file must exist."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError("config file does not exist", path=explicit, fix="pass an existing a2bench.toml")
        return explicit
    if os.environ.get(CONFIG_ENV):
        path = Path(os.environ[CONFIG_ENV]).expanduser()
        if not path.is_file():
            raise ConfigError(f"${CONFIG_ENV} names a file that does not exist", path=path,
                              fix=f"point ${CONFIG_ENV} at your a2bench.toml or unset it")
        return path
    for candidate in (Path.cwd() / CONFIG_NAME, user_config_file()):
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path | None) -> dict[str, MethodConfig]:
    """Every `[methods.NAME]` table of the file (none without a file), validated."""
    if path is None:
        return {}
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the config file ({exc.strerror})", path=path, fix="check the path") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"not valid TOML ({exc})", path=path, fix="fix the syntax (see docs/methods/)") from None
    unknown = sorted(set(document) - {"methods"})
    if unknown:
        raise ConfigError(f"unknown top-level table(s) {', '.join(unknown)}", path=path,
                          fix="put method settings under [methods.NAME]")
    methods = document.get("methods", {})
    if not isinstance(methods, dict):
        raise ConfigError("'methods' must be a table", path=path, fix="write [methods.NAME] tables")
    return {name: _method(name, table, path) for name, table in methods.items()}


def _method(name: str, table: Any, source: Path) -> MethodConfig:
    if not isinstance(table, dict):
        raise ConfigError(f"methods.{name} must be a table", path=source, fix=f"write [methods.{name}] with keys")
    base = source.parent

    def path_of(key: str) -> Path | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise ConfigError(f"methods.{name}.{key} must be a path (a string)", path=source,
                              fix=f'write {key} = "/path/…"')
        candidate = Path(value).expanduser()
        return candidate if candidate.is_absolute() else base / candidate

    timeout = table.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0):
        raise ConfigError(f"methods.{name}.timeout must be a positive number of seconds", path=source,
                          fix="write e.g. timeout = 3600")
    extra = table.get("extra_args", [])
    if not isinstance(extra, list) or not all(isinstance(item, str) for item in extra):
        raise ConfigError(f"methods.{name}.extra_args must be a list of strings", path=source,
                          fix='write e.g. extra_args = ["--steps", "30"]')
    env = table.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise ConfigError(f"methods.{name}.env must be a table of strings", path=source,
                          fix='write e.g. env = { HF_HUB_OFFLINE = "1" }')
    overrides = table.get("overrides", {})
    if not isinstance(overrides, dict):
        raise ConfigError(f"methods.{name}.overrides must be a table", path=source,
                          fix=f"write [methods.{name}.overrides] with the config keys to set")
    options = {key: value for key, value in table.items() if key not in COMMON_KEYS}
    return MethodConfig(name=name, source=source, repo=path_of("repo"), python=path_of("python"),
                        checkpoints=path_of("checkpoints"), timeout=float(timeout) if timeout else None,
                        extra_args=tuple(extra), env=dict(env), overrides=dict(overrides), options=options)


def check_options(config: MethodConfig, allowed: Mapping[str, type]) -> dict[str, Any]:
    """The method-specific keys of a table, type-checked against what the adapter accepts."""
    for key, value in config.options.items():
        if key not in allowed:
            known = ", ".join([*COMMON_KEYS, *allowed])
            raise ConfigError(f"methods.{config.name} has an unknown key '{key}'", path=config.source,
                              fix=f"use one of: {known}")
        expected = allowed[key]
        fits = isinstance(value, expected) or (expected is float and isinstance(value, int))
        if not fits or (isinstance(value, bool) and expected is not bool):
            raise ConfigError(f"methods.{config.name}.{key} must be of type {expected.__name__}", path=config.source,
                              fix=f"fix {key} in {config.where()}")
    return dict(config.options)
