"""a2bench: reproducible evaluation of character image animation (reference image + poses → video)."""

__version__ = "0.1.0"
