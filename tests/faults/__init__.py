"""Fault injection: one test per finding of issue 11, each reproducing the fault as a user meets it (docs/errors.md)."""
