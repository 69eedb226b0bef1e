"""Escaping of user-controlled text (method names, case ids, tags, paths, reasons) for each output format:
no name can add markup, a table cell, a LaTeX command or a spreadsheet formula. HTML escaping is jinja2's
autoescape."""

from __future__ import annotations

import re

_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")  # what means something inside a table cell
_LATEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
          "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}",
          ">": r"\textgreater{}", "|": r"\textbar{}"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def markdown(text: str) -> str:
    """Literal text in a Markdown table cell: punctuation backslash-escaped, HTML characters as entities, one line."""
    text = _one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def latex(text: str) -> str:
    """Literal text in LaTeX (text mode): every special character as its command, one line."""
    return "".join(_LATEX.get(char, char) for char in _one_line(text))


def spreadsheet(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (a leading = + - @ is quoted with an apostrophe)."""
    return "'" + text if text.startswith(_FORMULA_START) else text
