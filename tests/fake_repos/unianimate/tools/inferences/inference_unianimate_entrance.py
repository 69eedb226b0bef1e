"""Fake marker: the real entrance lives here (the fake's logic is in inference.py)."""
