"""The command line: a thin click layer over the jobs.

`python -m automations [--config PATH] [--as-of YYYY-MM-DD] [--dry-run] COMMAND`. Exit codes:
0 done; 1 the run finished but some items failed (each named on stderr); 2 bad configuration,
credentials or input that stops the run (one sentence, no traceback).
"""

from __future__ import annotations

import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

import click

from . import bootstrap, stopping
from .redaction import redact
from .errors import AlreadyRunning, ConfigError, ServiceUnavailable, Stopped, StopRun
from .domain.quarters import check_run_day
from .jobs import blog_reviews as blog_job
from .jobs import certificates as certificates_job
from .jobs import compliance as compliance_job
from .jobs import conduct as conduct_job
from .jobs import forum as forum_job
from .jobs import funding as funding_job
from .jobs import doctor as doctor_job
from .jobs import init as init_job
from .jobs import mail_jobs
from .jobs import migrate as migrate_job
from .jobs import privacy as privacy_job
from .jobs import referrals as referrals_job
from .jobs import report as report_job
from .jobs import run_all as run_all_job
from .jobs import sync_checkins as sync_job
from .jobs.base import JobResult


@dataclass
class Options:
    config_path: Path
    as_of: date | None
    dry_run: bool
    confirmed: frozenset[str] = frozenset()  # what staff confirmed: "shrink", "unusable", "notices", "forum_removals"
    stop: stopping.StopRequest = field(default_factory=stopping.StopRequest)  # set by SIGTERM / Ctrl-C

    def context(self) -> bootstrap.Context:
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


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shown(text: object) -> str:
    """`text` with every control character (C0, DEL, C1, the Unicode line separators) written as an
    escape (\\r, \\n, \\t, \\xNN, \\uNNNN): a cell holding "a@b.org\\r\\nfailed: x" or a terminal escape
    sequence stays on its own line, visibly, and cannot forge a line or steer the terminal."""

    def esc(m: re.Match) -> str:
        c = m.group()
        return _NAMED.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")

    return _CONTROL.sub(esc, redact(str(text)))


def echo(text: object = "", err: bool = False) -> None:
    """Print one line (stdout, or stderr with `err`). Everything the command line prints goes through
    here or `echo_block`, so no character from the data reaches the terminal raw."""
    click.echo(shown(text), err=err)


def echo_block(text: str, err: bool = False) -> None:
    """Print a multi-line block (a table, JSON): its own line breaks kept, each line as `echo`."""
    click.echo("\n".join(shown(line) for line in text.split("\n")), err=err)  # each line redacted (`shown`)


def report(results: list[JobResult], problems_where: str = "") -> int:
    """Print every new data problem and every failure to stderr, and one line on stdout for the data
    problems already on record; return the exit code: 1 when something failed in this run or a new
    data problem appeared, else 0 (problems staff already know about do not alert a cron job again)."""
    seen = set()
    bad = 0
    for res in results:
        for p in res.new_problems:
            if p not in seen:
                seen.add(p)
                echo(f"unusable (new): {p}", err=True)
                bad += 1
        for f in res.failures:
            echo(f"failed: {res.job}: {f}", err=True)
            bad += 1
    still_open = max((res.open_problems for res in results), default=0) - len(seen)
    if still_open > 0:
        where = f" (in {problems_where})" if problems_where else ""
        echo(f"{still_open} data problem{'s' if still_open != 1 else ''} reported earlier still open{where}: "
             f"mark each fixed or ignored there; a corrected row closes its problem by itself.",
             err=len(results) == 1 and bool(results[0].output))  # keep a table or JSON on stdout clean
    return 1 if bad else 0


def _guard(fn: Callable[[], int]) -> None:
    try:
        code = fn()
    except StopRun as exc:
        echo(f"Error: {exc}", err=True)
        sys.exit(2)
    except ServiceUnavailable as exc:  # the run stopped part-way; the next run completes it
        echo(f"failed: {exc}", err=True)
        sys.exit(1)
    except AlreadyRunning as exc:  # another run of this command is under way (docs/operations.md "Running on a schedule")
        if exc.stuck:  # held for longer than schedule.stuck_after_minutes: someone should look
            echo(f"failed: {exc}.", err=True)
            sys.exit(1)
        echo(f"skipped: {exc}.")  # an expected overlap: exit 0, so cron does not alert
        sys.exit(0)
    except Stopped as exc:  # SIGTERM or Ctrl-C: stopped between two actions, nothing half-done
        report(getattr(exc, "results", []))  # the new problems the finished jobs found are named once, now
        echo(f"stopped: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:  # a file that cannot be read or written: say which, and stop
        where = f" {exc.filename}" if exc.filename else ""
        echo(f"Error: cannot use{where}: {exc.strerror or exc}.", err=True)
        sys.exit(2)
    sys.exit(code)


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


def _print_summary(res: JobResult, ctx: bootstrap.Context | None = None) -> None:
    # With a table or JSON on stdout, the summary goes to stderr so stdout stays machine-readable.
    for line in res.summary:
        echo(f"[{res.job}] {line}", err=bool(res.output))
    for u in ctx.usage if ctx else ():
        if u.requests:  # a service this run never asked anything says nothing
            echo(f"[{res.job}] {u.line()}", err=bool(res.output))


def _command_name() -> str:
    """The command being run, as its run lock is named: "run-all", "conduct purge"."""
    ctx, names = click.get_current_context(), []
    while ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


@contextmanager
def one_run(ctx: bootstrap.Context) -> Iterator[None]:
    """The command's run lock for the whole run (a dry run writes nothing and takes none): a second run
    of the same command waits `schedule.lock_wait_seconds`, then skips (`AlreadyRunning`)."""
    if ctx.dry_run or ctx.run_lock is None:
        yield
        return
    with ctx.run_lock.hold(_command_name()):
        ctx.stop.check()  # asked to stop while it waited for the lock: do nothing
        yield


def _run_job(opts: Options, job: Callable[[bootstrap.Context], JobResult]) -> None:
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
        return report([res], ctx.reports.problems_where)

    _guard(go)


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


@cli.command("doctor")
@global_options
@click.pass_obj
def doctor(opts: Options) -> None:
    """Check configuration, input files and form headers, and say what is wrong."""

    def go() -> int:
        return report([doctor_job.run(bootstrap.for_doctor(opts.config_path, opts.as_of),
                                      lambda line, err: echo(line, err=err))])

    _guard(go)


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


@cli.command("forum")
@global_options
@ACCEPT_REMOVALS
@click.pass_obj
def forum(opts: Options, accept_removals: bool) -> None:
    """Keep the forum's ambassadors group (the Ambassadors badge) equal to the active ambassadors: add those
    who joined, take out alumni and removed ones, leave the paused alone (--dry-run lists the changes)."""
    confirm(opts, forum_removals=accept_removals)
    _run_job(opts, forum_job.run)


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
        return report(results, ctx.reports.problems_where)

    _guard(go)


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
    _run_job(opts, lambda ctx: privacy_job.export(ctx, email, reader, ctx.renderer.common.get("program_name", "Ambassador Program")))


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


@cli.command("retention")
@global_options
@click.pass_obj
def retention(opts: Options) -> None:
    """Delete what is kept longer than privacy.retention and conduct.retention_days say (run-all does it too)."""
    _run_job(opts, privacy_job.retention)

@cli.command("report")
@global_options
@click.option("--quarter", metavar="YYYYQn", help="The quarter to report on, e.g. 2026Q3. Default: the latest quarter "
                                                   "that has ended (as compliance chooses it).")
@click.pass_obj
def report_command(opts: Options, quarter: str | None) -> None:
    """Write the quarterly program report (HTML and PDF) and the newsletter's material (Markdown) to
    report.dir/<quarter>/; a quarter whose check-in window is open is marked provisional."""
    _run_job(opts, lambda ctx: report_job.run(ctx, quarter))


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


def main(prog_name: str = "automations") -> None:
    """The `automations` command that `pip install .` installs; `python -m automations` gives its own name, so the
    usage lines name the command line as it was typed."""
    cli(prog_name=prog_name)
