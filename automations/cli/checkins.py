"""The commands around check-ins: sync-checkins, compliance, at-risk, report, and the mail jobs (reminders, notices,
digest)."""

from __future__ import annotations

import click

from ..jobs import at_risk as at_risk_job
from ..jobs import compliance as compliance_job
from ..jobs import mail_jobs
from ..jobs import report as report_job
from ..jobs import sync_checkins as sync_job
from .base import ACCEPT_SHRINK, ACCEPT_UNUSABLE, SEND_HELD, Options, _run_job, cli, confirm, global_options


@cli.command("sync-checkins")
@global_options
@ACCEPT_SHRINK
@ACCEPT_UNUSABLE
@click.pass_obj
def sync_checkins(opts: Options, accept_shrink: bool, accept_unusable: bool) -> None:
    """Read the check-in responses and store the activities they report."""
    confirm(opts, shrink=accept_shrink, unusable=accept_unusable)
    _run_job(opts, sync_job.run)


@cli.command("compliance")
@global_options
@click.option("--quarter", metavar="YYYYQn", help="The quarter to judge, e.g. 2026Q3. Default: the latest quarter "
                                                   "that has ended (its window open or just closed).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--explain", "explain_email", metavar="EMAIL", help="Show which of this ambassador's activities "
                                                                   "counted and why each other one did not.")
@click.pass_obj
def compliance(opts: Options, quarter: str | None, fmt: str, explain_email: str | None) -> None:
    """Each ambassador's verdict for a quarter: met, missed, exempt or pending, with standing and perks."""
    _run_job(opts, lambda ctx: compliance_job.run(ctx, quarter, fmt, explain_email))


@cli.command("at-risk")
@global_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def at_risk(opts: Options, fmt: str) -> None:
    """Active ambassadors short of the full reports of the quarter under way, with what they have and what is
    missing, newest silence first (the digest lists them from week digest.at_risk_from_week on)."""
    _run_job(opts, lambda ctx: at_risk_job.run(ctx, fmt))


MAIL_JOBS = {
    "reminders": "Send the check-in invitation, reminders to those who have not met the quarter yet, and a receipt "
                 "after each check-in.",
    "notices": "Send standing notices (warned, under review, back in good standing) and perk notices.",
    "digest": "Send the weekly staff digest.",
}


def _mail_command(name: str, what: str) -> None:
    @cli.command(name, help=what + " Each message goes once; --dry-run lists them instead.")
    @global_options
    @click.pass_obj
    def _cmd(opts: Options, send_held_notices: bool = False) -> None:
        confirm(opts, notices=send_held_notices)
        _run_job(opts, lambda ctx: mail_jobs.run(ctx, name))

    if name == "notices":
        SEND_HELD(_cmd)


for _name, _what in MAIL_JOBS.items():
    _mail_command(_name, _what)

@cli.command("report")
@global_options
@click.option("--quarter", metavar="YYYYQn", help="The quarter to report on, e.g. 2026Q3. Default: the latest quarter "
                                                   "that has ended (as compliance chooses it).")
@click.pass_obj
def report_command(opts: Options, quarter: str | None) -> None:
    """Write the quarterly program report (HTML and PDF) and the newsletter's material (Markdown) to
    report.dir/<quarter>/; a quarter whose check-in window is open is marked provisional."""
    _run_job(opts, lambda ctx: report_job.run(ctx, quarter))
