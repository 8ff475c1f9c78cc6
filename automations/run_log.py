"""The scheduler's log: one line per event on stderr, plain or JSON, with every known secret redacted.

stderr suits journald (systemd adds the time and the unit) and containers (`docker logs`).
`plain` is for people: `2026-11-23T06:30:12+00:00 INFO run-all: done, exit 0, 12.4 s (started
06:30:00) - [conduct] ...`. `json` is one object a line for a log collector, with the same facts as
keys (`event`, `job`, `start`, `duration_seconds`, `exit_code`, `outcome`, `summary`, ...).

`RedactSecrets` replaces the value of every secret the configuration names (the Airtable token,
the SMTP login, the Discourse key, the Google service-account key; `bootstrap.secret_values`)
wherever it appears in a line, the output of a job included, before anything is written.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

from .redaction import MIN_SECRET_LENGTH, encoded_forms, redact


class RedactSecrets(logging.Filter):
    """Replaces each secret value in a record's message and fields by `[redacted]`."""

    def __init__(self, secrets: Iterable[str]):
        super().__init__()
        # Longest first, so a secret that contains another is replaced whole.
        self.secrets = sorted({s for s in encoded_forms(*secrets) if s and len(s) >= MIN_SECRET_LENGTH}, key=len,
                              reverse=True)  # and their base64 forms

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {k: self.redact(v) if isinstance(v, str) else v for k, v in fields.items()}
        return True


def _stamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="seconds")


class PlainFormatter(logging.Formatter):
    """`<time UTC> <LEVEL> <message>`: one line, whatever the message holds."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{_stamp(record)} {record.levelname} {_one_line(record.getMessage())}"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, message, and the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": _stamp(record), "level": record.levelname.lower(), "message": record.getMessage()}
        entry.update(getattr(record, "fields", None) or {})
        return json.dumps(entry, ensure_ascii=False, default=str)


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


FORMATS = {"plain": PlainFormatter, "json": JsonFormatter}


def build_logger(fmt: str, secrets: Iterable[str], stream: TextIO, name: str = "automations.schedule"
                 ) -> logging.Logger:
    """A logger of its own (not registered in `logging`'s global tree, so two schedulers in one test
    process never share handlers) writing `fmt` lines to `stream` through the redaction filter."""
    logger = logging.Logger(name, logging.INFO)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(FORMATS[fmt]())
    handler.addFilter(RedactSecrets(secrets))
    logger.addHandler(handler)
    return logger
