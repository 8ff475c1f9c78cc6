"""The Google access and the sources of people's answers: the check-in responses (their CSV download, the form's
linked sheet or the Forms API) and the referral answer form's responses, and the form records they keep."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from ..adapters.csv.checkin_source import CsvCheckinSource
from ..adapters.csv.referral_store import CsvAnswerSource
from ..adapters.google.access import GoogleAccess, GoogleSettings
from ..adapters.google.forms_answer_source import FormRecord, FormsAnswerSource
from ..adapters.google.forms_checkin_source import FormsCheckinSource, FormShape
from ..adapters.google.sheets_answer_source import SheetsAnswerSource
from ..adapters.google.sheets_checkin_source import SheetsCheckinSource
from ..config import Config
from ..domain.values import TimestampParser
from ..ports import AnswerSource, CheckinSource


def google_access(config: Config, environ: Mapping[str, str], sleep: Callable[[float], None] = time.sleep
                  ) -> GoogleAccess:
    """The key is read only when a job first needs it: a configuration that uses no Google service
    never needs one."""
    g = config.google
    os.environ.setdefault("NO_GCE_CHECK", "true")  # google-auth must never probe a metadata server
    named = environ.get(g.credentials_env, "").strip() if g.credentials_env else ""
    path, by = (Path(named), f"the environment variable {g.credentials_env}") if named else \
        (config.path(g.credentials_file), "google.credentials_file")
    settings = GoogleSettings(key_path=path, key_named_by=by, subject=g.subject,
                              endpoints=g.endpoints.model_dump(), max_attempts=g.max_attempts,
                              retry_backoff_seconds=g.retry_backoff_seconds, timeout_seconds=g.timeout_seconds)
    return GoogleAccess(settings, sleep=sleep)


def form_shape(config: Config) -> FormShape:
    f = config.checkin_form
    return FormShape(f.columns.timestamp, f.columns.email, f.columns.quarter, f.activity_sections or 3,
                     dict(f.activity_columns), tuple(f.activity_kinds))


def checkin_source(config: Config, google: GoogleAccess, dry_run: bool) -> CheckinSource:
    f = config.checkin_form
    if f.source == "sheets":
        return SheetsCheckinSource(google, f.spreadsheet_id, f.sheet_tab, f.columns.timestamp,
                                   [f.activity_columns["date"]], config.sheet_tz)
    if f.source == "forms":
        return FormsCheckinSource(google, f.form_id, form_shape(config), config.sheet_tz,
                                  config.local_dir / "form_questions.json", keep_state=not dry_run)
    return CsvCheckinSource(config.local_dir / f.file)


def answer_source(config: Config, google: GoogleAccess, dry_run: bool) -> AnswerSource:
    """The referral answer form's responses: their CSV download, the form's linked sheet or the Forms API.
    Every one reads timestamps in the same zone and names its problems alike (the download's file name, with
    the sheet's row numbers), so a problem keeps its id, and staff's decision on it, when the source changes."""
    r, f = config.referrals, config.checkin_form
    parse_time = TimestampParser(tuple(f.timestamp_formats), config.sheet_tz, config.program.tz, f.date_order)
    source = Path(r.answers_file).name
    if r.answers_source == "sheets":
        return SheetsAnswerSource(google, r.answers_spreadsheet_id, r.answers_sheet_tab, parse_time, config.sheet_tz,
                                  source)
    if r.answers_source == "forms":
        return FormsAnswerSource(google, r.answers_form_id, parse_time, config.sheet_tz, source,
                                 referral_form_record(config), keep_state=not dry_run)
    return CsvAnswerSource(config.local_dir / r.answers_file, parse_time)


def referral_form_record(config: Config) -> FormRecord:
    """`referral_form.json` in local.dir: the answer form `init --referral-form` made, and its question ids."""
    return FormRecord(config.local_dir / "referral_form.json")
