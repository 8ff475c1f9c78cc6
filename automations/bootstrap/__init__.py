"""The one place that reads the configuration and the environment and builds the adapters.

Everything a job uses is built here, before the job starts: the ports (roster, check-in
source, report store, ledger, send lock, mailer), the template renderer and the rule objects.
Jobs receive the `Context` and never a concrete backend; nothing connects while building.
Each module wires one part: `assemble` (`build`, the `Context` and its bundles), `settings`, `sources`
(check-ins, answers, Google access), `stores` (per backend), `privacy` (people's data, the privacy key,
secrets), `mail`, `makers`, `gates` (what stops or guards a run), `entry` (`from_file`, `for_doctor`),
`migration` and `scheduling`.
"""

from ..context import Context
from .assemble import build
from .entry import DoctorInputs, for_doctor, from_file, load_config, today
from .gates import (
    ERASING,
    FAILPOINT_ENV,
    MIGRATING,
    OWN_STATE_FILES,
    WHILE_ERASING,
    WHILE_MIGRATING,
    failpoint,
    remove_leftovers,
    run_lock,
    store_id,
    tighten_modes,
    unfinished_erase,
    unfinished_migration,
)
from .mail import mail_settings, smtp_settings, transport
from .makers import certificate_renderer, forum_group, report_renderers
from .migration import migration, program_tables
from .privacy import erased_addresses, personal_data, privacy_key, privacy_rules, secret_values
from .scheduling import job_scheduler
from .settings import (
    fingerprint,
    form_layout,
    forum_settings,
    funding_settings,
    problem_names,
    referral_settings,
    report_settings,
    rules_from,
    schedule_from,
)
from .sources import answer_source, checkin_source, form_shape, google_access, referral_form_record
from .stores import BackendStores, airtable_client, airtable_spec, backend_stores

__all__ = [
    "ERASING", "FAILPOINT_ENV", "MIGRATING", "OWN_STATE_FILES", "WHILE_ERASING", "WHILE_MIGRATING", "BackendStores",
    "Context", "DoctorInputs", "airtable_client", "airtable_spec", "answer_source", "backend_stores", "build",
    "certificate_renderer", "checkin_source", "erased_addresses", "failpoint", "fingerprint", "for_doctor",
    "form_layout", "form_shape", "forum_group", "forum_settings", "from_file", "funding_settings", "google_access",
    "job_scheduler", "load_config", "mail_settings", "migration", "personal_data", "privacy_key", "privacy_rules",
    "problem_names", "program_tables", "referral_form_record", "referral_settings", "remove_leftovers",
    "report_renderers", "report_settings", "rules_from", "run_lock", "schedule_from", "secret_values",
    "smtp_settings", "store_id", "tighten_modes", "today", "transport", "unfinished_erase", "unfinished_migration",
]
