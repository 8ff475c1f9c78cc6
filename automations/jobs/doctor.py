"""`doctor`: check configuration, the input files and the form's headers, and say what is wrong.

It reads and never writes. Each check prints one line as it passes; the first check that stops
the run (configuration, a missing file, a missing header) ends it with that sentence (exit 2).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable

from .. import bootstrap
from ..config import load_config
from ..domain.checkins import map_columns, parse_roster
from .base import JobResult


def run(config_path: Path, as_of: date | None, echo: Callable[[str], None] = print) -> JobResult:
    result = JobResult("doctor")

    def ok(line: str) -> None:
        result.summary.append(line)
        echo(f"ok   {line}")

    config = load_config(config_path)
    ok(f"configuration {config_path} is valid (backend {config.backend}, time zone {config.program.timezone}).")
    ctx = bootstrap.build(config, as_of or date.today(), dry_run=True)
    headers, rows = ctx.files.read_roster()
    roster, problems = parse_roster(headers, rows, ctx.roster)
    ok(f"roster {ctx.files.roster_path}: {len(roster)} ambassadors"
       f"{f', {len(problems)} rows unusable (listed below)' if problems else ''}.")
    result.problems.extend(problems)
    headers, rows = ctx.files.read_responses()
    map_columns(headers, ctx.form)
    ok(f"check-in responses {ctx.files.responses_path}: {sum(1 for _ in rows)} rows; every configured question of "
       f"{ctx.form.sections} activity sections found.")
    return result
