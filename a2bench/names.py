"""The one rule for names a user chooses (suites, methods, cases, metrics, adapters): safe as a file name, in a
URL, a shell argument, HTML and Markdown, so no other layer needs to second-guess them."""

from __future__ import annotations

from pathlib import Path

from a2bench.errors import A2BenchError

MAX_LENGTH = 100
PUNCTUATION = "._+-"
NAME_RULE = (f"letters (any script), digits and {' '.join(PUNCTUATION)}, starting with a letter or digit, "
             f"at most {MAX_LENGTH} characters")


class InvalidName(A2BenchError):
    """A user-chosen name that breaks the naming rule."""


def name_problem(name: str) -> str | None:
    """Why `name` breaks the rule, or None when it is valid."""
    if not name:
        return "is empty"
    if len(name) > MAX_LENGTH:
        return f"is longer than {MAX_LENGTH} characters"
    if not name[0].isalnum():
        return f"starts with {name[0]!r}"
    bad = sorted({c for c in name if not (c.isalnum() or c in PUNCTUATION)})
    if bad:
        return "contains " + ", ".join(repr(c) for c in bad)
    if ".." in name:
        return "contains '..'"
    return None


def is_valid_name(name: str) -> bool:
    """True when `name` follows the rule."""
    return name_problem(name) is None


def check_name(name: str, what: str = "name", path: Path | str | None = None) -> str:
    """`name` unchanged when valid; InvalidName saying what is wrong and what is allowed otherwise (naming
    `path`, the file or folder the name comes from, when given)."""
    problem = name_problem(name)
    if problem is not None:
        raise InvalidName(f"{what} {name!r} {problem}", path=path, fix=f"use {NAME_RULE}")
    return name
