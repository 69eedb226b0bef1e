"""User-facing errors: each carries the file it concerns and the fix, and becomes one line on the CLI."""

from __future__ import annotations

from pathlib import Path


class A2BenchError(Exception):
    """An error caused by the user's input or environment, reported without a traceback."""

    def __init__(self, message: str, *, path: Path | str | None = None, fix: str | None = None):
        self.message = message
        self.path = Path(path) if path is not None else None
        self.fix = fix
        super().__init__(self.line())

    def line(self) -> str:
        """The one-line form shown to the user: `path: message (fix: ...)`."""
        text = f"{self.path}: {self.message}" if self.path is not None else self.message
        return f"{text} — {self.fix}" if self.fix else text


class VideoReadError(A2BenchError):
    """A video or frame folder that is missing, unreadable, truncated or empty."""


class MatchError(A2BenchError):
    """Predictions and ground truth that cannot be paired case by case."""


class UnknownNameError(A2BenchError):
    """An unknown protocol, metric, suite or method name."""


class DataError(A2BenchError):
    """A suite whose files are missing, altered or laid out unexpectedly."""


class WeightsMissing(A2BenchError):
    """A metric's network weights are not available; the metric is skipped, never scored as zero."""


class MissingInput(A2BenchError):
    """A metric needs an input this case does not have (e.g. CLIP identity without a reference image)."""
