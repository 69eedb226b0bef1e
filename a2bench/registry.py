"""One generic registry: name → class (or declaration object), with type and duplicate checks and lazy loading
of the built-in modules and of a `importlib.metadata` entry-point group, so a lab registers its own metric or
adapter from its own package (`[project.entry-points."a2bench.adapters"] my-method = "my_pkg.adapter:MyAdapter"`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from importlib import metadata
from typing import Any, Generic, TypeVar, overload

from a2bench.errors import A2BenchError, UnknownNameError
from a2bench.names import check_name

T = TypeVar("T")
Item = TypeVar("Item")


class Registry(Generic[T]):
    """Entries of one kind, each under a unique name.

    `base` is the class every entry must derive from (for classes) or be an instance of (for declarations).
    Built-in modules and the entry-point group are loaded on the first lookup, not at import time, so
    `a2bench --help` does not import torch; a broken entry point is named in a one-line error.
    """

    def __init__(self, kind: str, base: type, *, builtins: tuple[str, ...] = (), group: str | None = None,
                 name_of: Callable[[Any], str] | None = None):
        self.kind = kind
        self.base = base
        self.builtins = builtins
        self.group = group
        self._name_of = name_of or (lambda entry: entry.name)
        self._entries: dict[str, Any] = {}
        self._loaded = False

    def _check(self, entry: Any) -> str:
        if isinstance(entry, type):
            if not issubclass(entry, self.base):
                raise TypeError(f"{entry.__qualname__} is not a {self.base.__name__}: cannot register it as a "
                                f"{self.kind}")
        elif not isinstance(entry, self.base):
            raise TypeError(f"{entry!r} is not a {self.base.__name__}: cannot register it as a {self.kind}")
        name = self._name_of(entry)
        check_name(name, what=f"{self.kind} name")
        return name

    @overload
    def register(self, entry: Item) -> Item: ...

    @overload
    def register(self, entry: None = None) -> Callable[[Item], Item]: ...

    def register(self, entry: Any = None) -> Any:
        """Add an entry (usable as a class decorator); a second entry under the same name is an error."""
        if entry is None:
            return self.register
        name = self._check(entry)
        existing = self._entries.get(name)
        if existing is not None and existing is not entry:
            raise ValueError(f"{self.kind} {name!r} is registered twice ({_where(existing)} and {_where(entry)})")
        self._entries[name] = entry
        return entry

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for module in self.builtins:
            importlib.import_module(module)
        if self.group is None:
            return
        for point in metadata.entry_points(group=self.group):
            if point.name in self._entries:
                continue
            try:
                loaded = point.load()
            except Exception as exc:  # a third-party package failing to import must not take a2bench down
                raise A2BenchError(f"entry point {point.name!r} ({point.value}) of group {self.group} failed to "
                                   f"load: {type(exc).__name__}: {exc}",
                                   fix=f"fix or uninstall the package that declares it ({_distribution(point)})"
                                   ) from None
            if self._name_of(loaded) != point.name:
                raise A2BenchError(f"entry point {point.name!r} of group {self.group} loads a {self.kind} named "
                                   f"{self._name_of(loaded)!r}", fix="make the entry point's name match")
            self.register(loaded)

    def get(self, name: str) -> T:
        """The entry registered as `name`; UnknownNameError listing the known names otherwise."""
        self._load()
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownNameError(f"unknown {self.kind} '{name}'", fix=f"use one of: {', '.join(self.names())}"
                                   ) from None

    def names(self) -> list[str]:
        """Registered names, in registration order (built-ins first)."""
        self._load()
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __getitem__(self, name: str) -> T:
        return self.get(name)

    def __len__(self) -> int:
        return len(self.names())

    def items(self) -> list[tuple[str, T]]:
        self._load()
        return list(self._entries.items())

    def values(self) -> list[T]:
        self._load()
        return list(self._entries.values())


def _where(entry: Any) -> str:
    target = entry if isinstance(entry, type) else type(entry)
    return f"{target.__module__}.{target.__qualname__}"


def _distribution(point: metadata.EntryPoint) -> str:
    dist = getattr(point, "dist", None)
    return dist.name if dist is not None else point.value.split(":")[0]
