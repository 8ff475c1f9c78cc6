"""Running everything: run-all once, and schedule (each job at its cadence, `schedulable` checks the names)."""

from __future__ import annotations

import click

from .. import bootstrap, stopping
from ..errors import AlreadyRunning, ConfigError, StopRun
from ..jobs import run_all as run_all_job
from .base import (
    ACCEPT_REMOVALS,
    ACCEPT_SHRINK,
    ACCEPT_UNUSABLE,
    SEND_HELD,
    Options,
    cli,
    confirm,
    global_options,
    one_run,
)
from .output import _guard, echo, echo_block, report


@cli.command("run-all")
@global_options
@ACCEPT_SHRINK
@ACCEPT_UNUSABLE
@ACCEPT_REMOVALS
@SEND_HELD
@click.pass_obj
def run_all(opts: Options, accept_shrink: bool, accept_unusable: bool, send_held_notices: bool,
            accept_removals: bool) -> None:
    """Run every available job once, in order, and end with a short summary."""
    confirm(opts, shrink=accept_shrink, unusable=accept_unusable, notices=send_held_notices,
            forum_removals=accept_removals)

    def go() -> int:
        with stopping.on_signals(opts.stop):
            ctx = opts.context()
            with one_run(ctx):
                results = run_all_job.run(ctx)
        echo_block(results[1].output)
        echo("")
        echo(f"Summary of run-all on {ctx.as_of.isoformat()}{' (dry run)' if ctx.dry_run else ''}:")
        for res in results:
            for line in res.summary:
                echo(f"  [{res.job}] {line}")
        for u in ctx.usage:
            echo(f"  {u.line()}")
        return report(results, ctx.stores.reports.problems_where)

    _guard(go)


def schedulable(name: str) -> None:
    """Refuse (ConfigError) a `schedule.jobs` name that is not a command the scheduler can run: a command of
    this command line ("run-all", or a group's, "conduct purge"), not a group, not `schedule` itself."""
    command: click.Command | None = cli
    for part in name.split():
        command = command.commands.get(part) if isinstance(command, click.Group) else None
    if command is None or isinstance(command, click.Group) or name.split()[0] == "schedule":
        known = ", ".join(n for n, c in sorted(cli.commands.items()) if n != "schedule" and not isinstance(c, click.Group))
        raise ConfigError(f"schedule.jobs names '{name}', which is not a command the scheduler can run (one of "
                          f"{known}, or a group's command such as 'conduct purge').")


@cli.command("schedule")
@global_options
@click.option("--log-format", type=click.Choice(["plain", "json"]),
              help="The log on stderr: plain lines or one JSON object a line. Default: logging.format (plain).")
@click.pass_obj
def schedule_command(opts: Options, log_format: str | None) -> None:
    """Run each job of schedule.jobs at its cadence until stopped (SIGTERM, Ctrl-C), one run at a time, each as
    a child process holding the command's run lock, with a log line per run on stderr. --as-of and --dry-run
    given here go to every run."""

    def go() -> int:
        config = bootstrap.load_config(opts.config_path)
        if not config.schedule.jobs:
            raise ConfigError(f"In {opts.config_path}: schedule.jobs is empty, so there is nothing to run on a "
                              f"schedule.")
        for name in config.schedule.jobs:
            schedulable(name)
        passed = [*(["--as-of", opts.as_of.isoformat()] if opts.as_of else []), *(["--dry-run"] if opts.dry_run else [])]
        scheduler = bootstrap.job_scheduler(config, opts.config_path, opts.stop, passed, log_format)
        # Repeated signals change nothing here: the running job gets one stop request, and a bounded wait.
        with stopping.on_signals(opts.stop, interrupt_on_second_sigint=False):
            try:
                scheduler.serve()
            except AlreadyRunning:
                raise StopRun(f"Another scheduler is already running with local.dir {config.local_dir}; this one "
                              f"did not start.") from None
        return 0

    _guard(go)
