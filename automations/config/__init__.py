"""Configuration: `config.yaml` loaded once, validated into a typed object, passed down.

Nothing else in the project reads the file or the environment for settings. A wrong key,
a bad type or a missing file becomes one `ConfigError` sentence that names the key.

One module per section of the file (`program`, `mail`, `airtable`, `checkin_form`, `referrals`,
`funding`, `certificates`, `report`, `forum`, `privacy`, `schedule`, `log` for `logging`, ...),
the checks they share written once in `checks` (an address, an environment variable's name, a time
zone; a key whose value becomes a domain setting takes that setting's default: `default_of`), and
the whole file with `load_config` in `loading`. Every name is also here:
`from automations.config import X` works for all of them.
"""

from __future__ import annotations

from .airtable import STAFF_TABLES, AirtableConfig, AirtableTables
from .ambassadors import (
    DEFAULT_AMBASSADOR_FIELDS,
    DEFAULT_STANDING_FIELDS,
    AmbassadorsConfig,
)
from .blog_reviews import BlogReviewsConfig
from .certificates import CertificatesConfig
from .checkin_form import (
    DEFAULT_ACTIVITY_COLUMNS,
    DEFAULT_ACTIVITY_KINDS,
    CheckinColumns,
    CheckinFormConfig,
)
from .checks import (
    Address,
    Strict,
    Zone,
    ZoneOrEmpty,
    default_of,
    env_name,
    env_var_name,
    known_zone,
)
from .conduct import ConductConfig
from .discover import DiscoverConfig
from .forum import ForumConfig
from .funding import FundingConfig
from .google import GoogleConfig, GoogleEndpoints
from .guards import GuardsConfig
from .loading import Config, load_config
from .log import LoggingConfig
from .mail import MailConfig, SmtpConfig
from .privacy import PrivacyConfig, RetentionConfig
from .program import DEFAULT_FULL_REPORT, LocalConfig, ProgramConfig
from .referrals import ReferralsConfig
from .reminders import RemindersConfig
from .report import ReportConfig
from .schedule import DEFAULT_SCHEDULE, ScheduleConfig

__all__ = [
    "DEFAULT_ACTIVITY_COLUMNS", "DEFAULT_ACTIVITY_KINDS", "DEFAULT_AMBASSADOR_FIELDS", "DEFAULT_FULL_REPORT",
    "DEFAULT_SCHEDULE", "DEFAULT_STANDING_FIELDS", "STAFF_TABLES", "Address", "AirtableConfig", "AirtableTables",
    "AmbassadorsConfig", "BlogReviewsConfig", "CertificatesConfig", "CheckinColumns", "CheckinFormConfig",
    "ConductConfig", "Config", "DiscoverConfig", "ForumConfig", "FundingConfig", "GoogleConfig", "GoogleEndpoints", "GuardsConfig",
    "LocalConfig", "LoggingConfig", "MailConfig", "PrivacyConfig", "ProgramConfig", "ReferralsConfig",
    "RemindersConfig", "ReportConfig", "RetentionConfig", "ScheduleConfig", "SmtpConfig", "Strict", "Zone",
    "ZoneOrEmpty", "default_of", "env_name", "env_var_name", "known_zone", "load_config",
]
