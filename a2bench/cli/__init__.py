"""The `a2bench` command line: a thin layer that parses options and calls library functions."""

from a2bench.cli.app import app, main

__all__ = ["app", "main"]
