"""The `schedule` section: the long-running scheduler's jobs and cadences, and the run lock every job takes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from .checks import Strict, ZoneOrEmpty

#: The jobs the scheduler runs by default and when (schedule.jobs): the daily cycle, the certificates
#: (not part of run-all), and the quarterly report kept up to date once a week.
DEFAULT_SCHEDULE = {"run-all": "every day at 06:30", "certificates": "every day at 06:45",
                    "report": "every monday at 07:00"}


class ScheduleConfig(Strict):
    """The long-running scheduler (`schedule`) and the run lock every job command takes."""

    # Each job (a command, named as on the command line) and its cadence: "every day at 06:30", "every
    # monday at 07:00", "every hour at :15", "every 2 hours", "every 15 minutes" (domain/cadence.py).
    jobs: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_SCHEDULE))
    # The zone of the times in `jobs`; empty: program.timezone.
    timezone: ZoneOrEmpty = ""
    # A slot missed while the scheduler was down: run it once at start (once), or wait for the next (skip).
    catch_up: Literal["once", "skip"] = "once"
    # A second run of a command waits this long for the first to finish, then skips (exit 0)...
    lock_wait_seconds: float = Field(60, ge=0)
    # ... unless the first has held the lock this long: then it may be stuck, and the second exits 1.
    stuck_after_minutes: float = Field(180, gt=0)
    # On SIGTERM, how long the scheduler waits for the running job to stop before killing it.
    stop_wait_seconds: float = Field(60, ge=0)

    @field_validator("jobs")
    @classmethod
    def _cadences(cls, value: dict[str, str]) -> dict[str, str]:
        from ..domain.cadence import CadenceError, parse

        for name, text in value.items():
            try:
                parse(text)
            except CadenceError as exc:
                raise ValueError(f"the job '{name}' has the cadence {text!r}, which {exc.reason}") from None
        return value
