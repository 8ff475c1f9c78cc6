"""`doctor`: check configuration, the input files and the form's headers, and say what is wrong.

It reads and never writes, and contacts no server. Each check prints one line as it passes; the first check that stops
the run (configuration, a missing file, a missing header) ends it with that sentence (exit 2).
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import Callable

from .. import bootstrap
from ..config import load_config
from ..domain.checkins import map_columns, parse_roster
from ..domain.messages import MESSAGE_JOBS
from ..errors import InputError
from .base import JobResult



def run(config_path: Path, as_of: date | None, echo: Callable[[str], None] = print) -> JobResult:
    result = JobResult("doctor")

    def ok(line: str) -> None:
        result.summary.append(line)
        echo(f"ok   {line}")

    config = load_config(config_path)
    ok(f"configuration {config_path} is valid (backend {config.backend}, time zone {config.program.timezone}).")
    ctx = bootstrap.build(config, as_of or datetime.now(config.program.tz).date(), dry_run=True)
    headers, rows = ctx.files.read_roster()
    roster, problems = parse_roster(headers, rows, ctx.roster)
    ok(f"roster {ctx.files.roster_path}: {len(roster)} ambassadors"
       f"{f', {len(problems)} rows unusable (listed below)' if problems else ''}.")
    result.problems.extend(problems)
    headers, rows = ctx.files.read_responses()
    map_columns(headers, ctx.form)
    ok(f"check-in responses {ctx.files.responses_path}: {sum(1 for _ in rows)} rows; every configured question of "
       f"{ctx.form.sections} activity sections found.")
    mailer = ctx.mailer()  # a transport that is not available, or half a login, stops here
    login = ""
    if mailer.name == "smtp":
        smtp = config.mail.smtp
        login = (f", login from {smtp.username_env}" if os.environ.get(smtp.username_env) else ", no login") + \
                f", {smtp.security} to {smtp.host}:{smtp.port} (not contacted)"
    ok(f"mail transport {mailer.name}{login}.")
    folder = config.path(config.mail.templates_dir)
    missing = [f"{job}.{part}" for job in MESSAGE_JOBS for part in ("subject.txt", "txt", "html")
               if not (folder / f"{job}.{part}").is_file()]
    if missing:
        raise InputError(f"The email templates in {folder} lack {', '.join(missing)}.")
    ok(f"email templates in {folder}: all {len(MESSAGE_JOBS)} messages have a subject, a text and an HTML part.")
    return result
