"""The whole configuration (`Config`, its sections and the checks across them) and `load_config`, which reads
`config.yaml` once and turns any problem into one `ConfigError` sentence naming the key."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import ValidationError, model_validator
from pydantic_core import ErrorDetails

from ..errors import ConfigError
from .airtable import AirtableConfig
from .ambassadors import AmbassadorsConfig
from .blog_reviews import BlogReviewsConfig
from .certificates import CertificatesConfig
from .checkin_form import CheckinFormConfig
from .checks import Strict
from .conduct import ConductConfig
from .digest import DigestConfig
from .discover import DiscoverConfig
from .forum import ForumConfig
from .funding import FundingConfig
from .google import GoogleConfig
from .guards import GuardsConfig
from .log import LoggingConfig
from .mail import MailConfig
from .privacy import PrivacyConfig
from .program import LocalConfig, ProgramConfig
from .referrals import ReferralsConfig
from .reminders import RemindersConfig
from .report import ReportConfig
from .schedule import ScheduleConfig


class Config(Strict):
    """The whole `config.yaml`: one key per section, each section its own module of this package."""

    program: ProgramConfig = ProgramConfig()
    backend: Literal["local", "airtable"] = "local"
    local: LocalConfig = LocalConfig()
    airtable: AirtableConfig = AirtableConfig()
    google: GoogleConfig = GoogleConfig()
    blog_reviews: BlogReviewsConfig = BlogReviewsConfig()
    certificates: CertificatesConfig = CertificatesConfig()
    referrals: ReferralsConfig = ReferralsConfig()
    funding: FundingConfig = FundingConfig()
    conduct: ConductConfig = ConductConfig()
    forum: ForumConfig = ForumConfig()
    discover: DiscoverConfig = DiscoverConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    report: ReportConfig = ReportConfig()
    mail: MailConfig = MailConfig()
    reminders: RemindersConfig = RemindersConfig()
    digest: DigestConfig = DigestConfig()
    guards: GuardsConfig = GuardsConfig()
    checkin_form: CheckinFormConfig = CheckinFormConfig()
    ambassadors: AmbassadorsConfig = AmbassadorsConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    logging: LoggingConfig = LoggingConfig()
    # Folder the config file lives in: relative paths are read from here.
    base_dir: Path = Path(".")

    def path(self, p: Path | str) -> Path:
        p = Path(p)
        return p if p.is_absolute() else self.base_dir / p

    @model_validator(mode="after")
    def _backend_ready(self) -> Config:
        if self.backend == "airtable" and not self.airtable.base_id:
            raise ValueError("backend 'airtable' needs airtable.base_id (the app... id in the base's URL)")
        f, r = self.checkin_form, self.referrals
        # (the source key, its value, the source, the key it needs, that key's value, where to find it)
        for key, source, wanted, needed, value, hint in (
                ("checkin_form.source", f.source, "sheets", "checkin_form.spreadsheet_id", f.spreadsheet_id,
                 "the id in the response spreadsheet's URL"),
                ("checkin_form.source", f.source, "forms", "checkin_form.form_id", f.form_id,
                 "run `init --form` to create the form"),
                ("referrals.answers_source", r.answers_source, "sheets", "referrals.answers_spreadsheet_id",
                 r.answers_spreadsheet_id, "the id in the answer form's response spreadsheet's URL"),
                ("referrals.answers_source", r.answers_source, "forms", "referrals.answers_form_id", r.answers_form_id,
                 "run `init --referral-form` to create the form")):
            if source == wanted and not value:
                raise ValueError(f"{key} '{wanted}' needs {needed} ({hint})")
        return self

    @model_validator(mode="after")
    def _transport_ready(self) -> Config:
        # A transport that validates but cannot send would fail every message, run after run. (gmail's
        # key may come from the environment, so bootstrap checks it: `GmailMailer.ready`.)
        ca = self.mail.smtp.ca_file
        if self.mail.transport == "smtp" and ca and not self.path(ca).is_file():
            raise ValueError(f"mail.transport 'smtp' needs the CA bundle named by mail.smtp.ca_file ({ca!r}), but "
                             f"{self.path(ca)} is not a file: put the relay's CA certificate there, or leave ca_file "
                             f"empty to trust the system's")
        return self

    @property
    def local_dir(self) -> Path:
        return self.path(self.local.dir)

    @property
    def sheet_tz(self) -> ZoneInfo:
        return ZoneInfo(self.checkin_form.timezone or self.program.timezone)


def _describe(error: ErrorDetails) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "(top level)"
    kind = error["type"]
    if not error["loc"]:  # a check across keys: its sentence names them
        return error["msg"].removeprefix("Value error, ")
    if where.endswith("_env"):
        return f"'{where}': {error['msg'].removeprefix('Value error, ')}"
    if kind == "extra_forbidden":
        return f"'{where}' is not a configuration key this version knows"
    message = error["msg"].removeprefix("Value error, ")
    value = error.get("input")
    if kind.startswith(("int_", "float_", "bool_", "string_", "literal_", "dict_", "list_", "path_")):
        return f"'{where}' has the value {value!r}: {message[0].lower() + message[1:]}"
    return f"'{where}': {message}"


def load_config(path: Path | str) -> Config:
    """Read and validate the configuration file, or raise ConfigError with one sentence."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"The configuration file {path} does not exist (pass --config PATH).")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"The configuration file {path} is not valid YAML{where}.") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"The configuration file {path} must hold a mapping of keys, not {type(raw).__name__}.")
    raw.pop("base_dir", None)
    try:
        return Config(**raw, base_dir=path.resolve().parent)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"In {path}: {_describe(first)}.") from None
