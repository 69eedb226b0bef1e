"""Procedural anthropomorphic characters with exact ground truth: the embedded synthetic suites."""
