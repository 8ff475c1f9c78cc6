"""The program's other commands: blog-reviews, funding, the conduct register, referrals, certificates, forum and
discover."""

from __future__ import annotations

import click

from ..jobs import blog_reviews as blog_job
from ..jobs import certificates as certificates_job
from ..jobs import conduct as conduct_job
from ..jobs import discover as discover_job
from ..jobs import forum as forum_job
from ..jobs import funding as funding_job
from ..jobs import referrals as referrals_job
from .base import ACCEPT_REMOVALS, Options, _run_job, cli, confirm, global_options


@cli.command("blog-reviews")
@global_options
@click.pass_obj
def blog_reviews(opts: Options) -> None:
    """Make a review document for each new blog proposal, date stage moves, and nudge stale reviews."""
    _run_job(opts, blog_job.run)


@cli.command("funding")
@global_options
@click.pass_obj
def funding(opts: Options) -> None:
    """Check funding and swag requests: short notice, large events, budgets, invoice reminders."""
    _run_job(opts, funding_job.run)


@cli.group("conduct")
def conduct() -> None:
    """The conduct register: read only by conduct.readers; entries past conduct.retention_days deleted."""


READER = click.option("--reader", metavar="EMAIL", help="Your address; it must be one of conduct.readers.")


FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
                      help="A table for people, or JSON for programs (the summary lines go to stderr).")


@conduct.command("list")
@global_options
@READER
@FORMAT
@click.pass_obj
def conduct_list(opts: Options, reader: str | None, fmt: str) -> None:
    """Every incident in the register (only for conduct.readers)."""
    _run_job(opts, lambda ctx: conduct_job.read(ctx, reader, fmt=fmt))


@conduct.command("show")
@global_options
@READER
@FORMAT
@click.argument("email")
@click.pass_obj
def conduct_show(opts: Options, reader: str | None, fmt: str, email: str) -> None:
    """One ambassador's incidents and the next escalation step (only for conduct.readers)."""
    _run_job(opts, lambda ctx: conduct_job.read(ctx, reader, email, fmt))


@conduct.command("purge")
@global_options
@click.pass_obj
def conduct_purge(opts: Options) -> None:
    """Delete the incidents older than conduct.retention_days (run-all does it too)."""
    _run_job(opts, conduct_job.purge)


@cli.command("referrals")
@global_options
@click.pass_obj
def referrals(opts: Options) -> None:
    """Offer each new referral inquiry to the best-matching ambassador, pass it on when declined or
    unanswered, and tell staff who accepted (with an introduction draft) or that no one is left."""
    _run_job(opts, referrals_job.run)


@cli.command("certificates")
@global_options
@click.pass_obj
def certificates(opts: Options) -> None:
    """Send a PDF certificate for each full year of service and for each sprint or workshop attended, once
    each (--dry-run lists them and draws nothing)."""
    _run_job(opts, certificates_job.run)


@cli.command("forum")
@global_options
@ACCEPT_REMOVALS
@click.pass_obj
def forum(opts: Options, accept_removals: bool) -> None:
    """Keep the forum's ambassadors group (the Ambassadors badge) equal to the active ambassadors: add those
    who joined, take out alumni and removed ones, leave the paused alone (--dry-run lists the changes)."""
    confirm(opts, forum_removals=accept_removals)
    _run_job(opts, forum_job.run)


@cli.command("discover")
@global_options
@click.pass_obj
def discover(opts: Options) -> None:
    """Find new activities in the feeds (ambassadors.fields.feeds) and forum posts the ambassadors declared and store
    each once, to be listed in their check-in mail; found activities never count by themselves. A feed that cannot
    be read is a data problem of its ambassador."""
    _run_job(opts, discover_job.run)
