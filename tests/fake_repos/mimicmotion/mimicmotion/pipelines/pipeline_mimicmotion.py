"""Fake marker: the real pipeline lives here."""
