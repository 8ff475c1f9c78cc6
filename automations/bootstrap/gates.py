"""The safety gates around a run: an unfinished erase or migrate stops it, the failpoint hook (crash tests), the
run lock, the removal of a killed run's temporary files and the tightening of the program's file modes."""

from __future__ import annotations

import os
import signal
import stat
from collections.abc import Callable, Mapping
from pathlib import Path

from .. import file_modes
from ..adapters.files.atomic import remove_stale_temps
from ..adapters.files.erase_journal import JsonErasureJournal
from ..adapters.files.run_lock import FileRunLock
from ..config import Config
from ..errors import StopRun

ERASING = ".erase-unfinished.json"  # in local.dir: an erase began and has not finished (`JsonErasureJournal`)


#: The commands that run while an erase is unfinished: `erase` (which finishes it) and `doctor` (which names it).
#: Every other would read, mail or report a person half erased.
WHILE_ERASING = ("erase", "doctor")


FAILPOINT_ENV = "AUTOMATIONS_FAILPOINT"


def unfinished_erase(config: Config) -> None:
    """Stop (exit 2) while an erase stopped part-way: a run now could judge the person on half-erased rows, mail
    their real address or write a report naming them."""
    pending = JsonErasureJournal(config.local_dir / ERASING).load()
    if pending is not None:
        raise StopRun(f"An erase begun at {pending.started or 'an unknown time'} has not finished: run `erase` again "
                      f"(with no address, or the same one) to finish it; every command but `erase` and `doctor` "
                      f"stops until then.")


def failpoint(environ: Mapping[str, str]) -> Callable[[str], None]:
    """The run's checkpoint hook. `AUTOMATIONS_FAILPOINT=<point>[#<n>]` makes the process kill itself (SIGKILL, as
    a power cut or the OOM killer would) the n-th time (default the first) it reaches that point: how the tests
    and `bench/erase_crash_harness.py` stop work that must finish at each of its steps. Unset, nothing happens."""
    wanted = environ.get(FAILPOINT_ENV, "").strip()
    if not wanted:
        return lambda name: None
    point, _, nth = wanted.partition("#")
    seen = {"n": 0}

    def checkpoint(name: str) -> None:
        if name == point:
            seen["n"] += 1
            if seen["n"] == int(nth or 1):
                os.kill(os.getpid(), signal.SIGKILL)

    return checkpoint


MIGRATING = ".migrate-unfinished"  # in local.dir: a migrate into this store started and has not finished


#: The commands that run on a store whose migrate stopped part-way: migrate itself (which finishes it), `init`
#: (a table or field the rest of the migration needs) and `doctor` (which names the unfinished migration).
WHILE_MIGRATING = ("migrate", "init", "doctor")


def store_id(config: Config) -> str:
    """The store a configuration runs on, as one text (two configurations naming the same store give the same)."""
    if config.backend == "airtable":
        a = config.airtable
        return f"airtable:{(a.endpoint_url or 'https://api.airtable.com').rstrip('/')}/{a.base_id}"
    return f"local:{config.local_dir.resolve()}"


def unfinished_migration(config: Config) -> None:
    """Stop (exit 2) when a migrate into this configuration's store stopped part-way: until it is run again and
    finishes, a run here could send again what the rest of the ledger would have said had gone."""
    import json

    marker = config.local_dir / MIGRATING
    try:
        held = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(held, dict) and held.get("store") == store_id(config):
        raise StopRun(f"A migrate into this store (from {held.get('from', '?')}) stopped before it finished: run "
                      f"`migrate --from {held.get('from', 'OTHER_CONFIG')}` again to finish it (`init` and `doctor` "
                      f"run meanwhile); every other command stops until then.")


def run_lock(config: Config) -> FileRunLock:
    """The run lock every job command holds: `<local.dir>/.locks/<command>.lock`."""
    s = config.schedule
    return FileRunLock(config.local_dir / ".locks", s.lock_wait_seconds, s.stuck_after_minutes * 60)


def remove_leftovers(config: Config) -> list[Path]:
    """Remove the temporary files a killed run left where the jobs write: `local.dir` and its run locks'
    folder (the holder file), the outbox and its day folders, the drafts folder (only the writers' own,
    and only those no live writer holds: `atomic_files.remove_stale_temps`)."""
    outbox = config.path(config.mail.outbox_dir)
    try:
        days = [p for p in outbox.iterdir() if p.is_dir()]
    except OSError:
        days = []
    return remove_stale_temps([config.local_dir, config.local_dir / ".locks", outbox, *days,
                               config.path(config.blog_reviews.drafts_dir)])


#: The files the jobs keep in local.dir (their state, never staff's tables): the program's mode at each run.
OWN_STATE_FILES = ("activities.csv", "checkins.csv", "unusable_rows.csv", "mail_ledger.csv", "found_activities.csv",
                   ".work_cache.sqlite3",
                   ".work_cache.sqlite3-journal", ".schedule.json", "form_questions.json", "referral_form.json",
                   ".reports.mark", ".mail.lock", ".privacy_key", ".credentials_key", ".credentials_revoked.json",
                   ".migrate.sqlite3")


def tighten_modes(config: Config) -> None:
    """Give the program's own files and folders that an older version left wider (0644 in 0755) the program's
    modes (`file_modes`): its folders (outbox, drafts, reports, exports, run locks), its state files in
    local.dir, the exports (0600) and the conduct register (0600, always: it holds conduct entries). Staff's
    own tables keep the mode they gave them. A file or folder this account does not own is left alone."""
    uid = os.geteuid()

    def narrow(path: Path, mode: int) -> None:
        try:
            info = path.lstat()
            if info.st_uid == uid and not stat.S_ISLNK(info.st_mode) and stat.S_IMODE(info.st_mode) != mode:
                os.chmod(path, mode)
        except OSError:
            pass  # not there (nothing written yet), or not ours to change

    folders = [config.path(config.mail.outbox_dir), config.path(config.blog_reviews.drafts_dir),
               config.path(config.report.dir), config.path(config.privacy.export_dir), config.local_dir / ".locks"]
    for folder in folders:
        narrow(folder, file_modes.dir_mode())
    for name in OWN_STATE_FILES:
        narrow(config.local_dir / name, file_modes.PRIVATE_FILE if name in (".privacy_key", ".credentials_key") else file_modes.file_mode())
    narrow(config.local_dir / config.conduct.file, file_modes.PRIVATE_FILE)
    try:
        exports = list(config.path(config.privacy.export_dir).iterdir())
    except OSError:
        exports = []
    for path in exports:
        narrow(path, file_modes.PRIVATE_FILE)
