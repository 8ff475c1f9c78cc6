"""`doctor`: check configuration, the input files and the form's headers, and say what is wrong.

It reads and never writes. Each check prints one line; the first check that stops the run
(configuration, a missing file, a missing header) ends it with that sentence and exit 2.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from .. import bootstrap
from ..config import load_config
from ..domain.checkins import map_columns, parse_roster
from .base import JobResult


def run(config_path: Path, as_of: date | None) -> JobResult:
    result = JobResult("doctor")
    config = load_config(config_path)
    result.summary.append(f"ok   configuration {config_path} is valid (backend {config.backend}, "
                          f"time zone {config.program.timezone}).")
    ctx = bootstrap.build(config, as_of or date.today(), dry_run=True)
    headers, rows = ctx.files.read_roster()
    roster, problems = parse_roster(headers, rows, ctx.roster)
    result.summary.append(f"ok   roster {ctx.files.roster_path}: {len(roster)} ambassadors"
                          f"{f', {len(problems)} rows unusable' if problems else ''}.")
    result.problems.extend(problems)
    headers, rows = ctx.files.read_responses()
    map_columns(headers, ctx.form)
    result.summary.append(f"ok   check-in responses {ctx.files.responses_path}: {len(rows)} rows; every configured "
                          f"question of {ctx.form.sections} activity sections found.")
    return result
