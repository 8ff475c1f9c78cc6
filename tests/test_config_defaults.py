"""Defaults are defined once: a configuration key whose value becomes a domain setting has that setting's default,
so the two cannot drift (as the referral form's pre-fill parameters once had: "" in the domain, "entry.2000001"
in the configuration). The settings bootstrap builds from an empty configuration equal the domain's defaults,
field by field; and the configuration package holds each shared check once."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import automations.config as config_package
from automations import bootstrap
from automations.config import Config
from automations.domain.compliance import Rules
from automations.domain.forum import ForumSettings
from automations.domain.messages import Schedule
from automations.domain.referrals import ReferralSettings
from automations.domain.report import ReportSettings

CONFIG = Path(config_package.__file__).parent


def _defaults(setting: type) -> dict:
    """Every field of a domain setting that has a default, with it."""
    out = {}
    for f in dataclasses.fields(setting):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out


def _built(settings, setting: type, leave: tuple[str, ...] = ()) -> dict:
    """What bootstrap made of the empty configuration, for the fields the domain gives a default (less `leave`:
    those bootstrap fills from elsewhere, such as staff's addresses from mail.staff_addresses)."""
    return {name: getattr(settings, name) for name in _defaults(setting) if name not in leave}


def test_settings_from_an_empty_configuration_are_the_domains_defaults():
    empty = Config()
    assert _built(bootstrap.report_settings(empty), ReportSettings) == _defaults(ReportSettings)
    expected = {k: v for k, v in _defaults(ReferralSettings).items() if k != "staff"}
    assert _built(bootstrap.referral_settings(empty), ReferralSettings, ("staff",)) == expected
    assert expected["prefill_code_entry"] == "entry.2000001"  # the drift this test was written for
    expected = {k: v for k, v in _defaults(ForumSettings).items() if k != "forum_host"}  # from forum.url
    assert _built(bootstrap.forum_settings(empty), ForumSettings, ("forum_host",)) == expected
    assert bootstrap.schedule_from(empty) == Schedule()
    rules = bootstrap.rules_from(empty)
    assert _built(rules, Rules, ("full_report_fields",)) == \
        {k: v for k, v in _defaults(Rules).items() if k != "full_report_fields"}


def test_the_configuration_keys_hold_the_domains_defaults():
    empty = Config()
    pairs = [(empty.report, ReportSettings, {n: n for n in _defaults(ReportSettings)}),
             (empty.referrals, ReferralSettings, {"answer_days": "answer_days", "form_url": "answer_form_url",
                                                  "prefill_code_entry": "prefill_code_entry",
                                                  "prefill_answer_entry": "prefill_answer_entry"}),
             (empty.forum, ForumSettings, {"group_name": "group_name", "keep_usernames": "keep_usernames",
                                           "max_removal_share": "max_removal_share",
                                           "min_guarded_removals": "min_guarded_removals"}),
             (empty.reminders, Schedule, {n: n for n in _defaults(Schedule) if n != "at_risk_from_week"}),
             (empty.digest, Schedule, {"at_risk_from_week": "at_risk_from_week"}),
             (empty.program, Rules, {"min_full_reports": "min_full_reports", "window_days": "checkin_window_days",
                                     "late_joiner_fraction": "late_joiner_fraction"})]
    for section, setting, keys in pairs:
        defaults = _defaults(setting)
        for field, key in keys.items():
            value = getattr(section, key)
            value = tuple(value) if isinstance(value, list) else value
            assert value == defaults[field], f"{type(section).__name__}.{key} is {value!r}, {setting.__name__}." \
                                             f"{field} {defaults[field]!r}"
    assert Rules(tz=ZoneInfo("UTC")).window_days == empty.program.checkin_window_days


def test_each_shared_check_is_written_once():
    """The environment-variable name check and the time-zone check live in config/checks.py alone; every
    section uses them (none repeats the pattern or the message)."""
    sections = [p for p in CONFIG.glob("*.py") if p.name not in ("checks.py", "__init__.py")]
    for path in sections:
        text = path.read_text(encoding="utf-8")
        assert "NAME of an environment variable" not in text and "_ENV_NAME" not in text, path.name
        assert "ZoneInfoNotFoundError" not in text and "IANA time zone (e.g." not in text, path.name
        assert "def _env_name" not in text and "def _zone" not in text, path.name
        assert text.count("\n") < 400, f"{path.name} has {text.count(chr(10))} lines"
    checks = (CONFIG / "checks.py").read_text(encoding="utf-8")
    assert len(re.findall(r"NAME of an environment variable", checks)) == 1
    uses = sum(p.read_text(encoding="utf-8").count("env_name(") for p in sections)
    assert uses == 7  # mail.smtp's username_env and password_env, mail.dkim_private_key_env, airtable, forum, google, privacy
