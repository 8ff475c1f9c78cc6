"""`JsonErasureJournal`: an unfinished erase's record, one JSON file in `local.dir` (owner-readable only).

Written in one step (a temporary file renamed over it, flushed to disk) before the erase's first write, and
removed when the erase has finished; while it is there, the jobs that would read or mail the half-erased
person stop (`bootstrap.unfinished_erase`)."""

from __future__ import annotations

import json
from pathlib import Path

from ...domain.privacy import Pending
from ...errors import StopRun
from .atomic import atomic_write


class JsonErasureJournal:
    def __init__(self, path: Path):
        self.path = Path(path)

    def load(self) -> Pending | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StopRun(f"The record of an unfinished erase ({self.path}) cannot be read ({exc.strerror}): "
                          f"make it readable, then run `erase` again.") from None
        try:
            return Pending.from_data(json.loads(text))
        except ValueError as exc:
            raise StopRun(f"The record of an unfinished erase ({self.path}) is damaged ({exc}): run `erase` "
                          f"again with the person's address to finish it.") from None

    def begin(self, pending: Pending) -> None:
        atomic_write(self.path, json.dumps(pending.as_data(), ensure_ascii=False, indent=1) + "\n", private=True)

    def end(self) -> None:
        self.path.unlink(missing_ok=True)
