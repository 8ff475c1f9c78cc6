"""The command group, the options every command takes (before or after its name), and running one job under its
run lock."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import click

from .. import bootstrap, stopping
from ..context import Context
from ..domain.quarters import check_run_day
from ..jobs.base import JobResult
from .output import _guard, _print_summary, echo_block, report


@dataclass
class Options:
    config_path: Path
    as_of: date | None
    dry_run: bool
    confirmed: frozenset[str] = frozenset()  # what staff confirmed: "shrink", "unusable", "notices", "forum_removals"
    stop: stopping.StopRequest = field(default_factory=stopping.StopRequest)  # set by SIGTERM / Ctrl-C

    def context(self) -> Context:
        return bootstrap.from_file(self.config_path, self.as_of, self.dry_run, self.confirmed, stop=self.stop,
                                   command=_command_name())


def confirm(opts: Options, **flags: bool) -> None:
    """Record the confirmations given on the command line (`--accept-shrink`, `--accept-unusable`,
    `--send-held-notices`, `--accept-removals`)."""
    opts.confirmed = opts.confirmed | {name for name, given in flags.items() if given}


ACCEPT_SHRINK = click.option("--accept-shrink", is_flag=True, help="Confirm that the check-in responses really have "
                             "fewer rows than were read before (without it, such a run stops before writing).")
ACCEPT_UNUSABLE = click.option("--accept-unusable", is_flag=True, help="Confirm a run that makes many check-in "
                                "response rows unusable that were usable before, or most rows of a source unusable "
                                "(without it, such a run stops before writing or sending anything).")
ACCEPT_REMOVALS = click.option("--accept-removals", is_flag=True, help="Confirm that the forum's ambassadors group "
                               "really loses more than forum.max_removal_share of its members at once (without it, "
                               "such a run stops before changing anything).")
SEND_HELD = click.option("--send-held-notices", is_flag=True, help="Send standing warnings held because more than "
                         "guards.max_warning_share of active ambassadors would get one at once.")


def _as_of(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date like 2026-11-23") from None
    try:
        return check_run_day(day)
    except ValueError as exc:
        raise click.BadParameter(f"'{value}' {exc}") from None


_CONFIG_HELP = "The configuration file."
_AS_OF_HELP = "Treat this date as today for every date rule (replay any day). Default: today in the program's time zone."
_DRY_RUN_HELP = ("Read and decide everything, write and send nothing: say what the run would change (files, "
                 "records, messages), or that each store is already up to date.")


def global_options(command: Callable) -> Callable:
    """The group's --config, --as-of and --dry-run, accepted after the command too (`run-all --dry-run`,
    CONTRACT.md). A value given after the command replaces the one given before it; --dry-run on
    either side makes a dry run. The command's function does not see them: they set the run's
    `Options`, which the group made before the command's options are read."""

    def setter(name: str, convert: Callable = lambda _ctx, _param, value: value) -> Callable:
        def callback(ctx: click.Context, param: click.Parameter, value):
            value = convert(ctx, param, value)
            if value is not None and value is not False:
                setattr(ctx.find_object(Options), name, value)
        return callback

    for decorate in reversed([
        click.option("--config", type=click.Path(path_type=Path), expose_value=False, callback=setter("config_path"),
                     help=_CONFIG_HELP + " As before the command; this one wins."),
        click.option("--as-of", metavar="YYYY-MM-DD", expose_value=False, callback=setter("as_of", _as_of),
                     help=_AS_OF_HELP),
        click.option("--dry-run", is_flag=True, default=None, expose_value=False, callback=setter("dry_run"),
                     help=_DRY_RUN_HELP),
    ]):
        command = decorate(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=Path("config.yaml"),
              show_default=True, help=_CONFIG_HELP)
@click.option("--as-of", "as_of", callback=_as_of, metavar="YYYY-MM-DD", help=_AS_OF_HELP)
@click.option("--dry-run", is_flag=True, help=_DRY_RUN_HELP)
@click.pass_context
def cli(ctx: click.Context, config_path: Path, as_of: date | None, dry_run: bool) -> None:
    """Automation for the Ambassador Program: check-ins, compliance verdicts and the jobs around them."""
    ctx.obj = Options(config_path, as_of, dry_run)


def _command_name() -> str:
    """The command being run, as its run lock is named: "run-all", "conduct purge"."""
    ctx, names = click.get_current_context(), []
    while ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


@contextmanager
def one_run(ctx: Context) -> Iterator[None]:
    """The command's run lock for the whole run (a dry run writes nothing and takes none): a second run
    of the same command waits `schedule.lock_wait_seconds`, then skips (`AlreadyRunning`). When the run
    ends, what its jobs kept out of the garbage collector's way (`jobs.base.bulk_allocation`) is handed
    back to it, so a process that runs many commands (the tests) has its reference cycles collected."""
    try:
        if ctx.dry_run:
            yield
            return
        with ctx.run_lock.hold(_command_name()):
            ctx.stop.check()  # asked to stop while it waited for the lock: do nothing
            yield
    finally:
        gc.unfreeze()


def _run_job(opts: Options, job: Callable[[Context], JobResult]) -> None:
    """Build the run's adapters, run one job under its run lock (SIGTERM stops it at a safe point),
    print what it made (a table, JSON) and its summary, and exit with its code."""

    def go() -> int:
        with stopping.on_signals(opts.stop):
            ctx = opts.context()
            with one_run(ctx):
                res = job(ctx)
        if res.output:
            echo_block(res.output)
        _print_summary(res, ctx)
        return report([res], ctx.stores.reports.problems_where)

    _guard(go)


def main(prog_name: str = "automations") -> None:
    """The `automations` command that `pip install .` installs; `python -m automations` gives its own name, so the
    usage lines name the command line as it was typed."""
    cli(prog_name=prog_name)
