"""Setting a program up and checking it: doctor, init, migrate."""

from __future__ import annotations

from pathlib import Path

import click

from .. import bootstrap
from ..jobs import doctor as doctor_job
from ..jobs import init as init_job
from ..jobs import migrate as migrate_job
from .base import Options, _run_job, cli, global_options
from .output import _guard, echo, report


@cli.command("doctor")
@global_options
@click.pass_obj
def doctor(opts: Options) -> None:
    """Check configuration, input files and form headers, and say what is wrong."""

    def go() -> int:
        return report([doctor_job.run(bootstrap.for_doctor(opts.config_path, opts.as_of),
                                      lambda line, err: echo(line, err=err))])

    _guard(go)


@cli.command("init")
@global_options
@click.option("--form", is_flag=True, help="Create the check-in form (Google Forms) from config.yaml instead, "
                                           "publish it and print its address.")
@click.option("--referral-form", "referral_form", is_flag=True,
              help="Create the referral answer form (Google Forms) instead, once, publish it and print its pre-fill "
                   "entries and the referrals keys to set.")
@click.pass_obj
def init(opts: Options, form: bool, referral_form: bool) -> None:
    """Create the Airtable tables and fields the project needs (--dry-run lists them); existing ones are left
    alone."""
    _run_job(opts, lambda ctx: init_job.run(ctx, form, referral_form))


@cli.command("migrate")
@global_options
@click.option("--from", "source", required=True, metavar="OTHER_CONFIG", type=click.Path(path_type=Path),
              help="The configuration file whose store is copied (its relative paths are read from its own folder).")
@click.option("--reader", metavar="EMAIL", help="Copy the conduct register too: your address, which must be one of "
                                                "conduct.readers in both configurations.")
@click.pass_obj
def migrate(opts: Options, source: Path, reader: str | None) -> None:
    """Copy everything a program holds (roster, mail ledger, data problems, check-ins, blog proposals, referrals,
    funding requests, attendee lists) from the store OTHER_CONFIG names into this configuration's: local to
    Airtable (after init), or Airtable back to an empty local folder. A second run writes nothing; one stopped
    part-way is finished by running it again; --dry-run says per table what it would write."""
    _run_job(opts, lambda ctx: migrate_job.run(ctx, bootstrap.migration(opts.config_path, source, ctx.dry_run),
                                               reader))
