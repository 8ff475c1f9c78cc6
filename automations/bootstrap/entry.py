"""Where a command's run begins: the configuration file read (and this process set up as it asks), the gates
passed, the context built (`from_file`), and `doctor`'s inputs (`for_doctor`)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from .. import file_modes, redaction
from ..adapters.google.gmail_mailer import GmailMailer
from ..adapters.terminal.rich_progress import progress_for
from ..config import Config
from ..config import load_config as _read_config
from ..context import Context
from ..stopping import StopRequest
from .assemble import build
from .gates import (
    WHILE_ERASING,
    WHILE_MIGRATING,
    remove_leftovers,
    tighten_modes,
    unfinished_erase,
    unfinished_migration,
)
from .privacy import secret_values


def load_config(path: Path | str, environ: Mapping[str, str] | None = None) -> Config:
    """Read the configuration file, then set up this process as the configuration asks: the program's file
    and folder modes from now on (`file_modes`, privacy.group_readable) and the redaction of every secret
    it names from every error text (`redaction`)."""
    config = _read_config(path)
    file_modes.apply(config.privacy.group_readable)
    redaction.install(secret_values(config, environ))
    return config


def today(config: Config) -> date:
    return datetime.now(config.program.tz).date()


def from_file(path: Path, as_of: date | None, dry_run: bool, confirmed: frozenset[str] = frozenset(),
              stop: StopRequest | None = None, command: str = "") -> Context:
    """Load the configuration file and build every adapter: what the command line calls for `command`. `stop` is
    the run's stop request, set by the command line's signal handlers. A store a `migrate` into stopped part-way
    runs nothing but the commands that finish it (`WHILE_MIGRATING`) until it is finished."""
    config = load_config(path)
    if command not in WHILE_MIGRATING:
        unfinished_migration(config)
    if command not in WHILE_ERASING:
        unfinished_erase(config)
    if not dry_run:
        remove_leftovers(config)
        tighten_modes(config)
    ctx = build(config, as_of or today(config), dry_run, confirmed=confirmed)
    if stop is not None:
        ctx.stop = stop
    ctx.progress = progress_for(sys.stdout.isatty())
    if isinstance(ctx.mail.mailer, GmailMailer):
        ctx.mail.mailer.ready()  # the key Gmail sends with: checked before any job reads or writes
    if ctx.mail.signer is not None:
        ctx.mail.signer.ready()  # the DKIM key (mail.dkim_selector): likewise, before any job reads or writes
    return ctx


@dataclass(frozen=True)
class DoctorInputs:
    """What `doctor` checks, loaded when it asks: the configuration (a `ConfigError` is its first FAIL line) and
    the dry-run context built from it."""

    path: Path
    config: Callable[[], Config]
    context: Callable[[Config], Context]


def for_doctor(config_path: Path, as_of: date | None, environ: Mapping[str, str] | None = None,
               clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> DoctorInputs:
    """`doctor`'s inputs: `environ`, `clock` and `sleep` go to the build (tests pass a manual clock)."""
    return DoctorInputs(Path(config_path), lambda: load_config(config_path),
                        lambda config: build(config, as_of or today(config), dry_run=True, environ=environ,
                                             clock=clock, sleep=sleep))
