"""What the command line prints (every character from the data escaped) and the exit code a run ends with."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

import click

from ..context import Context
from ..errors import AlreadyRunning, ServiceUnavailable, Stopped, StopRun
from ..jobs.base import JobResult
from ..redaction import redact

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


def _print_summary(res: JobResult, ctx: Context | None = None) -> None:
    # With a table or JSON on stdout, the summary goes to stderr so stdout stays machine-readable.
    for line in res.summary:
        echo(f"[{res.job}] {line}", err=bool(res.output))
    for u in ctx.usage if ctx else ():
        if u.requests:  # a service this run never asked anything says nothing
            echo(f"[{res.job}] {u.line()}", err=bool(res.output))
