"""The `logging` section: what the scheduler logs on stderr."""

from __future__ import annotations

from typing import Literal

from .checks import Strict


class LoggingConfig(Strict):
    """What the scheduler logs on stderr (one line per event; secrets redacted)."""

    # plain: lines for people; json: one JSON object a line, for a log collector.
    format: Literal["plain", "json"] = "plain"
