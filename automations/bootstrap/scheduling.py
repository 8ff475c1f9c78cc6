"""The `schedule` command's scheduler: each configured job run as a child process on its cadence."""

from __future__ import annotations

import sys
from pathlib import Path

from ..config import Config
from ..stopping import StopRequest
from .gates import (
    run_lock,
)
from .privacy import secret_values


def job_scheduler(config: Config, config_path: Path, stop: StopRequest, global_args: list[str],
                  log_format: str | None = None, stream=None):
    """The `schedule` command's scheduler: each of `schedule.jobs` run as a child process
    (`python -m automations --config PATH [global_args] COMMAND`), its log on `stream` (stderr)."""

    from .. import run_log
    from ..adapters.files.schedule_state import JsonScheduleState
    from ..adapters.process.job_runner import SubprocessJobRunner
    from ..domain.cadence import parse
    from ..scheduler import JobScheduler

    s = config.schedule
    log = run_log.build_logger(log_format or config.logging.format, secret_values(config),
                               sys.stderr if stream is None else stream)
    argv = [sys.executable, "-m", "automations", "--config", str(Path(config_path).resolve()), *global_args]
    runner = SubprocessJobRunner(argv, stop, s.stop_wait_seconds, log)
    return JobScheduler({name: parse(text) for name, text in s.jobs.items()}, s.timezone or config.program.timezone,
                        runner, JsonScheduleState(config.local_dir / ".schedule.json"), log, stop, s.catch_up,
                        lock=run_lock(config))
