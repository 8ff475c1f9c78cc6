"""`migrate`'s wiring: a configuration's store as whole tables (`program_tables`) and both sides of a migration."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from ..adapters.files.sqlite_work_cache import SqliteWorkCache
from ..config import Config
from ..context import Migration
from ..ports import ProgramTables, Usage, WorkCache
from .entry import load_config
from .gates import (
    MIGRATING,
    run_lock,
    store_id,
)
from .stores import airtable_client, airtable_spec


def program_tables(config: Config, environ: Mapping[str, str], clock: Callable[[], float] = time.monotonic,
                   sleep: Callable[[float], None] = time.sleep, cache: WorkCache | None = None
                   ) -> tuple[ProgramTables, list[Usage]]:
    """A configuration's store as whole tables (`migrate`), and the usage of its remote client if any. `cache`: the
    destination's work cache, whose copies of the tables migrate writes are dropped (`adapters.airtable.mirror`)."""
    spec = airtable_spec(config)
    if config.backend == "airtable":
        from ..adapters.airtable.program_tables import AirtableProgramTables

        client = airtable_client(config, environ, clock, sleep, cache)
        return AirtableProgramTables(client, spec, store_id(config)), [client.usage]
    from ..adapters.csv.program_tables import CsvProgramTables

    d = config.local_dir
    files = {"ambassadors": d / config.ambassadors.file, "blog_reviews": d / config.blog_reviews.file,
             "referral_inquiries": d / config.referrals.file, "funding_requests": d / config.funding.file,
             "conduct_register": d / config.conduct.file, "event_attendees": d / config.certificates.attendees_dir}
    return CsvProgramTables(d, files, spec, config.program.tz, store_id(config), config.ambassadors.date_order), []


def migration(dest: Path, source: Path, dry_run: bool, environ: Mapping[str, str] | None = None,
              clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> Migration:
    """Both sides of `migrate --from SOURCE` run with the configuration DEST. The source's relative paths are read
    from its own folder."""
    environ = os.environ if environ is None else environ
    there, here = load_config(source), load_config(dest)  # dest last: its file modes are the ones kept
    src, src_usage = program_tables(there, environ, clock, sleep)
    dst, dst_usage = program_tables(here, environ, clock, sleep,
                                    SqliteWorkCache(here.local_dir / ".work_cache.sqlite3", read_only=dry_run))
    files = [(there.local_dir / there.referrals.answers_file, here.local_dir / here.referrals.answers_file,
              "the referral answers' download")]
    if there.checkin_form.source == "local" and here.checkin_form.source == "local":
        files.append((there.local_dir / there.checkin_form.file, here.local_dir / here.checkin_form.file,
                      "the check-in responses' download"))
    if there.checkin_form.source == "forms" and here.checkin_form.source == "forms":
        files.append((there.local_dir / "form_questions.json", here.local_dir / "form_questions.json",
                      "the check-in form's question ids"))
    files.append((there.local_dir / ".privacy_key", here.local_dir / ".privacy_key", "the privacy key"))
    files.append((there.local_dir / ".credentials_key", here.local_dir / ".credentials_key", "the credentials key"))
    files.append((there.local_dir / ".credentials_revoked.json", here.local_dir / ".credentials_revoked.json",
                  "the record of revoked credentials"))
    same_folder = there.local_dir.resolve() == here.local_dir.resolve()
    return Migration(src, dst, Path(source), tuple(a.casefold() for a in there.conduct.readers),
                     tuple(a.casefold() for a in here.conduct.readers), files,
                     SqliteWorkCache(here.local_dir / ".migrate.sqlite3", read_only=dry_run),
                     here.local_dir / MIGRATING, None if same_folder else run_lock(there), src_usage + dst_usage,
                     there.ambassadors.words, here.ambassadors.words)
