"""`doctor`: check configuration, credentials, the store's schema, the input and the form's
headers, and say what is wrong, one line per finding.

It goes through the same build as every job, reads and never writes. A configuration that
cannot be loaded stops at once; every other check runs, so one run lists every finding. Any
finding that would stop a job makes the exit code 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from .. import bootstrap
from ..config import load_config
from ..domain.form_check import check_responses, roster_lines
from ..domain.messages import MESSAGE_JOBS
from ..errors import ConfigError, ServiceUnavailable, StopRun
from ..ports import Finding
from . import forum as forum_job
from .base import JobResult


def certificates(ctx: bootstrap.Context) -> list[Finding]:
    """The certificate fonts and images are there, and the event attendee lists can be read. A missing one
    stops only the certificates job, so the finding does not block the others."""
    missing = ctx.certificates.check()
    if missing:
        return [Finding(False, f"certificates: {'; '.join(missing)}.", blocking=False)]
    attendees, problems = ctx.attendees.read()
    return [Finding(True, f"certificates: fonts, logo and signature image found; {len(attendees)} event attendee "
                          f"lines in {ctx.attendees.where}"
                          f"{f', {len(problems)} unusable (the certificates job lists them)' if problems else ''}.")]


def _print(line: str, err: bool = False) -> None:
    print(line, file=sys.stderr if err else sys.stdout)


def run(config_path: Path, as_of, echo: Callable[[str, bool], None] = _print) -> JobResult:
    """Each passing check is a line on stdout; each failing one (FAIL) a line on stderr."""
    result = JobResult("doctor")
    findings: list[Finding] = []

    def say(f: Finding) -> None:
        findings.append(f)
        echo(f"{'ok  ' if f.ok else 'FAIL'} {f.text}", not f.ok)

    def check(what: Callable[[], list[Finding]]) -> None:
        try:
            for f in what():
                say(f)
        except (StopRun, ServiceUnavailable) as exc:
            say(Finding(False, str(exc)))

    try:
        config = load_config(config_path)
    except ConfigError as exc:  # a wrong key or value (an address, a transport that cannot send): its FAIL line
        say(Finding(False, str(exc)))
        raise StopRun("doctor found 1 problem that stops the jobs (the FAIL line); nothing else can be checked "
                      "until the configuration loads.") from None
    say(Finding(True, f"configuration {config_path} is valid (backend {config.backend}, time zone "
                      f"{config.program.timezone})."))
    ctx = bootstrap.build(config, as_of or bootstrap.today(config), dry_run=True)
    check(ctx.admin.check)
    schema_ok = all(f.ok or not f.blocking for f in findings)
    for more in ctx.checks:  # the Google key and sign-in, when the configuration uses Google
        check(more.check)

    def roster() -> list[Finding]:
        ambassadors, problems = ctx.roster.read()
        result.problems.extend(problems)
        dates = [Finding(line.ok, line.text, blocking=line.blocking)
                 for line in roster_lines(problems, config.ambassadors.fields)]
        return [Finding(True, f"roster {ctx.roster.where}: {len(ambassadors)} ambassadors"
                              f"{f', {len(problems)} rows unusable (listed below)' if problems else ''}.")] + dates

    def responses() -> list[Finding]:
        """The form's shape as the header shows it, and every timestamp and date of the source read."""
        headers, rows = ctx.checkins.read()
        try:
            known = {a.email for a in ctx.roster.read()[0]}
        except (StopRun, ServiceUnavailable):
            known = None  # the roster's own finding says why
        lines = check_responses(headers, rows, ctx.form, ctx.checkins.where, getattr(ctx.checkins, "told", ("", "")),
                                known, ctx.guards.max_unusable_share)
        return [Finding(line.ok, line.text, blocking=line.blocking) for line in lines]

    def mail() -> list[Finding]:
        folder = ctx.mail.templates_dir
        missing = [f"{job}.{part}" for job in MESSAGE_JOBS for part in ("subject.txt", "txt", "html")
                   if not (folder / f"{job}.{part}").is_file()]
        out = [Finding(True, f"mail transport {ctx.mail.summary}.")]
        if missing:
            return out + [Finding(False, f"the email templates in {folder} lack {', '.join(missing)}.")]
        return out + [Finding(True, f"email templates in {folder}: all {len(MESSAGE_JOBS)} messages have a subject, "
                                    f"a text and an HTML part.")]

    def staff_tables() -> list[Finding]:
        requests, problems = ctx.funding.read()
        out = [Finding(True, f"funding requests {ctx.funding.where}: {len(requests)} requests"
                             f"{f', {len(problems)} rows unusable (the funding job lists them)' if problems else ''}.")]
        # The register's content is never shown here: only that it can be read, and who may read it.
        ctx.conduct.read()
        readers = len(ctx.conduct_readers)
        out.append(Finding(True, f"conduct register {ctx.conduct.where}: readable; {readers} reader"
                                 f"{'s' if readers != 1 else ''} in conduct.readers, entries kept "
                                 f"{ctx.conduct_retention_days} days."))
        return out

    def referrals() -> list[Finding]:
        inquiries, problems = ctx.referrals.read()
        answers, bad = ctx.answers.read()
        waiting = sum(1 for i in inquiries if i.status in ("new", "offered"))
        many = f"{len(inquiries)} inquir{'y' if len(inquiries) == 1 else 'ies'}"
        return [Finding(True, f"referral inquiries {ctx.referrals.where}: {many}, {waiting} "
                              f"open{f', {len(problems)} rows unusable (the referrals job lists them)' if problems else ''}"
                              f"; answers {ctx.answers.where}: {len(answers)}"
                              f"{f', {len(bad)} unusable' if bad else ''}.")]

    if schema_ok:
        check(roster)
        check(referrals)
        check(staff_tables)
    check(responses)
    check(mail)
    check(lambda: certificates(ctx))
    check(lambda: forum_job.findings(ctx))
    for u in ctx.usage:
        echo(f"     {u.line()}", False)
    bad = [f for f in findings if not f.ok and f.blocking]
    if bad:
        raise StopRun(f"doctor found {len(bad)} problem{'s' if len(bad) > 1 else ''} that stop the jobs (the FAIL lines).")
    result.summary = [f.text for f in findings]
    return result
