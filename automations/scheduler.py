"""`schedule`: the long-running process that runs each job at its cadence (`schedule.jobs`).

Built on the `schedule` library (its `Scheduler`, one job per entry of `schedule.jobs`, the times
read in `schedule.timezone`). What this module adds:

- **One run at a time.** Runs happen one after another in this process: a job that falls due while
  another runs starts when it ends, and a run that outlasts its own cadence is not followed by a
  burst of the slots it covered (the library counts the next slot from the end of the run). Each
  run is a child process (`SubprocessJobRunner`), which takes the command's run lock like any cron
  run would (`FileRunLock`), so the scheduler and cron never run one job twice at once either.
- **Catch-up** (`schedule.catch_up`): at start, a job whose slot passed while the scheduler was down
  runs once (`once`), or waits for its next slot (`skip`); `domain.cadence.missed` is the rule,
  `JsonScheduleState` the record of each job's last finished run.
- **A clean stop.** SIGTERM or Ctrl-C asks the stop (`stopping`): no run starts after it, the
  running child is asked to stop too and finishes its current action (bounded by
  `schedule.stop_wait_seconds`), the scheduler logs it and exits 0.
- **A log line per run** (`run_log`): job, start, duration, exit code, outcome and a one-line summary,
  with the child's own output before it, every secret redacted.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import schedule as schedule_library

from .domain.cadence import Cadence, CadenceError, latest_slot, missed
from .ports.scheduling import JobRunner, RunOutcome, SchedulerLock, ScheduleState
from .stopping import StopRequest

CATCH_UP = ("once", "skip")


def summarize(exit_code: int, out: Sequence[str], err: Sequence[str], killed: bool = False) -> tuple[str, str]:
    """The outcome word and one-line summary of a run from its exit code and output lines (what the
    command line prints: `[job] ...` summary lines, `skipped:`, `stopped:`, `failed:`, `Error:`)."""
    if killed:
        return "killed", "did not stop within schedule.stop_wait_seconds of the stop request and was killed"
    for line in (*out, *err):
        if line.startswith("skipped:"):
            return "skipped", line
    for line in err:
        if line.startswith("stopped:"):
            return "stopped", line
    if exit_code == 0:
        # The messages sent (the side effect people ask about first), then the run's last line (run-all: the
        # data problems still open; a single job: its summary).
        counts = [int(n) for line in out for n in _SENT.findall(line)]
        last = next((line.strip() for line in reversed(out) if line.strip()), "no output")
        sent = f"{sum(counts)} message{'s' if sum(counts) != 1 else ''} sent; " if counts else ""
        return "done", _clip(sent + last)
    said = [line.strip() for line in err if line.strip()] or [line.strip() for line in out if line.strip()]
    first = said[0] if said else "no output"
    more = f" (and {len(said) - 1} more line{'s' if len(said) > 2 else ''})" if len(said) > 1 else ""
    return ("failed" if exit_code == 1 else "error"), _clip(first) + more


_SENT = re.compile(r"\b(\d+) messages? sent\b")


def _clip(text: str, limit: int = 400) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def library_job(library: schedule_library.Scheduler, cadence: Cadence, zone: str) -> schedule_library.Job:
    """The `schedule` library's job for a cadence (not yet given what to do)."""
    if cadence.unit in ("weeks", "days"):
        # A cadence of days or weeks always has its time (and weeks their weekday): `parse_cadence` makes them so.
        if cadence.at is None or (cadence.unit == "weeks" and cadence.weekday is None):
            raise CadenceError(cadence.text, "has no time of day (or no weekday) to run at")
        at = cadence.at.strftime("%H:%M")
        if cadence.weekday is not None and cadence.unit == "weeks":
            return getattr(library.every(), cadence.weekday).at(at, zone)
        return library.every().day.at(at, zone)
    every = library.every(cadence.interval)
    job = every.hours if cadence.unit == "hours" else every.minutes
    return job.at(f":{cadence.at.minute:02d}", zone) if cadence.at is not None else job


class JobScheduler:
    """Runs `jobs` (command name → cadence) with `runner`, one at a time, until `stop` is asked."""

    def __init__(self, jobs: Mapping[str, Cadence], zone: str, runner: JobRunner, state: ScheduleState,
                 log: logging.Logger, stop: StopRequest, catch_up: str = "once", lock: SchedulerLock | None = None):
        if catch_up not in CATCH_UP:
            raise ValueError(f"catch_up must be one of {', '.join(CATCH_UP)}")
        self.jobs = dict(jobs)
        self.zone = zone
        self.tz = ZoneInfo(zone)
        self.runner = runner
        self.state = state
        self.log = log
        self.stop = stop
        self.catch_up = catch_up
        self.lock = lock
        self.library = schedule_library.Scheduler()
        for name, cadence in self.jobs.items():
            library_job(self.library, cadence, zone).do(self.run, name).tag(name)

    def now(self) -> datetime:
        return datetime.now(UTC)

    def next_runs(self) -> dict[str, datetime]:
        """When each job runs next, in the schedule's zone (the library keeps local naive times)."""
        # Each job is tagged with its name alone (`__init__`), and the library gives every job its next run
        # when it is made.
        return {str(next(iter(j.tags))): j.next_run.astimezone().astimezone(self.tz) for j in self.library.jobs
                if j.next_run is not None}

    def run(self, name: str) -> RunOutcome | None:
        """One run of job `name` now, logged; nothing once a stop is asked."""
        if self.stop.requested:
            return None
        start = self.now()
        self._info(f"{name}: started", event="start", job=name, start=_iso(start))
        try:
            result = self.runner(name)
        except OSError as exc:  # the child could not even start (no python, no permission)
            result = RunOutcome(-1, "error", f"could not start: {exc.strerror or exc}")
        duration = (self.now() - start).total_seconds()
        level = logging.INFO if result.outcome in ("done", "skipped", "stopped") else logging.WARNING
        self.log.log(level, f"{name}: {result.outcome}, exit {result.exit_code}, {duration:.1f} s "
                            f"(started {start.astimezone(self.tz):%Y-%m-%d %H:%M:%S %Z}): {result.summary}",
                     extra={"fields": {"event": "run", "job": name, "start": _iso(start),
                                       "duration_seconds": round(duration, 3), "exit_code": result.exit_code,
                                       "outcome": result.outcome, "summary": result.summary}})
        if result.outcome not in ("stopped", "killed"):  # an interrupted run is caught up after a restart
            self.state.record(name, start, result.exit_code)
        return result

    def catch_up_missed(self) -> list[str]:
        """The catch-up rule, applied once at start: each job that missed a slot while the scheduler was
        down runs once now (`once`), in the configured order, or is only logged (`skip`)."""
        ran = []
        now = self.now().astimezone(self.tz)
        for name, cadence in self.jobs.items():
            last = self.state.last_start(name)
            if last is None or not missed(cadence, last, now):  # (no start recorded: nothing missed)
                continue
            slot = latest_slot(cadence, now)
            what = f"its {slot:%Y-%m-%d %H:%M} run" if slot else f"a run ({cadence.text})"
            since = f"last run started {last.astimezone(self.tz):%Y-%m-%d %H:%M}"
            if self.catch_up == "skip":
                self._info(f"{name}: missed {what} while the scheduler was down ({since}); catch_up is skip: it "
                           f"waits for its next slot", event="missed", job=name)
                continue
            self._info(f"{name}: missed {what} while the scheduler was down ({since}); running it once now",
                       event="catch_up", job=name)
            if self.run(name) is not None:
                ran.append(name)
        return ran

    def tick(self) -> None:
        """Run whatever is due now (one after another)."""
        if not self.stop.requested:
            self.library.run_pending()

    def serve(self, sleep: Callable[[float], None] = time.sleep) -> None:
        """Until a stop is asked: catch up, then run each job at its cadence. Holds the `schedule` lock
        (one scheduler per machine and local.dir); waking at least once a second to see a stop."""
        if self.lock is None:
            self._serve(sleep)
            return
        with self.lock.hold("schedule", wait_seconds=0):
            self._serve(sleep)

    def _serve(self, sleep: Callable[[float], None]) -> None:
        plan = "; ".join(f"{name} {c.text} (next {self.next_runs()[name]:%Y-%m-%d %H:%M})"
                         for name, c in self.jobs.items())
        self._info(f"scheduler started (process {os.getpid()}, times in {self.zone}, catch_up {self.catch_up}): "
                   f"{plan}", event="started")
        self.catch_up_missed()
        while not self.stop.requested:
            self.tick()
            if self.stop.requested:
                break
            idle = self.library.idle_seconds
            sleep(min(1.0, max(0.05, idle if idle is not None else 1.0)))
        self._info(f"scheduler stopped ({self.stop.reason}); exit 0", event="stopped")

    def _info(self, message: str, **fields) -> None:
        self.log.info(message, extra={"fields": fields})


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
