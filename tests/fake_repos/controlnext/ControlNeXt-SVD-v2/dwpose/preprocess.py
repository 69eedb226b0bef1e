"""Fake marker."""
