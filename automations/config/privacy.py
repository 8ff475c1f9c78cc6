"""The `privacy` section: `export`, `erase` and how long the `retention` job keeps things (`privacy.retention`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ..domain.privacy import Retention
from .checks import Strict, default_of, env_name


class RetentionConfig(Strict):
    """How long the `retention` job (in run-all) keeps what the jobs made."""

    # Mail-ledger steps are deleted this many days after their last attempt. At least 400: longer than
    # any message waits to be sent (a year's certificate, a quarter's reminders), so none goes again.
    ledger_days: int = Field(default_of(Retention, "ledger_days"), ge=400)
    # A data problem closed as fixed is deleted this many days after it closed (ignored ones stay: they
    # are staff's decision, and the row is still there).
    fixed_problems_days: int = Field(default_of(Retention, "fixed_problems_days"), ge=1)
    # Messages in the outbox folder (the `outbox` transport's copies) are deleted after this many days.
    outbox_days: int = Field(default_of(Retention, "outbox_days"), ge=1)


class PrivacyConfig(Strict):
    """`export EMAIL`, `erase EMAIL` and the retention job."""

    # The environment variable holding the secret key of the keyed hashes `erase` leaves in place of an
    # address; without it, a key is made once and kept in local.dir/.privacy_key (git-ignored).
    key_env: Annotated[str, env_name("AUTOMATIONS_PRIVACY_KEY")] = "AUTOMATIONS_PRIVACY_KEY"


    # Where `export` writes its JSON and HTML files (relative to this file's folder; git-ignored).
    export_dir: str = "exports"
    # Files the program writes are 0600 and its folders 0700, whatever the umask; true: 0640 and 0750, for a
    # staff group sharing the machine. The conduct register and exports stay 0600 either way (file_modes.py).
    group_readable: bool = False
    retention: RetentionConfig = RetentionConfig()
