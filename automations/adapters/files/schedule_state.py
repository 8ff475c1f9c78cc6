"""`JsonScheduleState`: when the scheduler last started each job, kept across restarts.

One small JSON file (`<local.dir>/.schedule.json`, replaced atomically) mapping each job to the
start of its last run that finished, so that after a restart the scheduler knows which slots it
missed while it was down (`domain.cadence.missed`). Derived state: deleting it only means the
next start catches nothing up.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from .atomic import atomic_write


class JsonScheduleState:
    def __init__(self, path: Path):
        self.path = Path(path)

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # none yet, or damaged: nothing is known
            return {}
        return data if isinstance(data, dict) else {}

    def last_start(self, job: str) -> datetime | None:
        entry = self._read().get(job)
        if not isinstance(entry, dict):  # none, or not what `record` writes
            return None
        try:
            start = datetime.fromisoformat(entry["start"])
        except (TypeError, KeyError, ValueError):
            return None
        return start if start.tzinfo is not None else None

    def record(self, job: str, start: datetime, exit_code: int) -> None:
        data = self._read()
        data[job] = {"start": start.isoformat(timespec="seconds"), "exit_code": exit_code}
        atomic_write(self.path, json.dumps(data, indent=1, sort_keys=True) + "\n")
