"""The privacy commands: export one person's data, erase one person, retention."""

from __future__ import annotations

import click

from ..jobs import privacy as privacy_job
from .base import Options, _run_job, cli, global_options

PERSON_READER = click.option("--reader", metavar="EMAIL", help="Include the conduct register: your address, which "
                             "must be one of conduct.readers.")


@cli.command("export")
@global_options
@PERSON_READER
@click.argument("email")
@click.pass_obj
def export(opts: Options, reader: str | None, email: str) -> None:
    """Write everything the program holds about one person (EMAIL) to one JSON file and a readable HTML page in
    privacy.export_dir."""
    _run_job(opts, lambda ctx: privacy_job.export(ctx, email, reader, ctx.mail.renderer.common.get("program_name", "Ambassador Program")))


@cli.command("erase")
@global_options
@PERSON_READER
@click.argument("email", required=False)
@click.pass_obj
def erase(opts: Options, reader: str | None, email: str | None) -> None:
    """Forget one person (EMAIL) in every table and file: their address becomes a keyed hash, their text tokens,
    their files are deleted; their numbers still count. Try it with --dry-run first. An erase that was stopped
    part-way is finished by the next erase (give no EMAIL to finish it alone); until then the other jobs stop."""
    _run_job(opts, lambda ctx: privacy_job.erase(ctx, email, reader))


@cli.command("retention")
@global_options
@click.pass_obj
def retention(opts: Options) -> None:
    """Delete what is kept longer than privacy.retention and conduct.retention_days say (run-all does it too)."""
    _run_job(opts, privacy_job.retention)
