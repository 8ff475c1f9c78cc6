"""People's data and the secrets: how each table holds people's data (`privacy_rules`), the tables that may hold it
(`personal_data`), who was erased, the key of the keyed hashes (`privacy_key`) and every secret the configuration
points at, for the log's redaction (`secret_values`)."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path

from ..adapters.csv.personal_tables import CsvPersonalTables
from ..adapters.erased_responses import ERASE_JOB
from ..adapters.files.atomic import create_once
from ..config import Config
from ..domain.blog import proposal_key
from ..domain.funding import row_key as funding_row_key
from ..domain.privacy import TableRule
from ..errors import ConfigError
from ..mail.dkim import DkimSigner
from ..ports import Ledger, PersonalTable


def privacy_rules(config: Config) -> dict[str, TableRule]:
    """How each table holds people's data, by table role (titles as the CSV files and the base have them)."""
    a, s, f = config.ambassadors.fields, config.ambassadors.standing_fields, config.checkin_form
    numbers = ("registrations", "attendees", "hours", "views", "engagements", "reshares")
    # Sections are counted from the form's header: every number a form may have (at most 50) is named.
    section_titles = lambda role: tuple(dict.fromkeys(f.activity_columns[role].replace("{n}", str(n))  # noqa: E731
                                        for n in range(1, 51))) if role in f.activity_columns else ()
    responses_keep = (f.columns.timestamp, f.columns.quarter, *section_titles("kind"), *section_titles("date"),
                      *(t for r in numbers for t in section_titles(r)))
    kept_activity = ("Key", "Activity ID", "Kind", "Date", "Received", "Row", "Section", "Reported quarter",
                     "Resolution", "Winner row", "Registrations", "Attendees", "Views", "Engagements", "Reshares",
                     "Hours")
    return {
        "responses": TableRule("check-in responses", (f.columns.email,), keep=responses_keep,
                               links=section_titles("link")),
        "ambassadors": TableRule(
            "roster", (a["email"],), names=(a["name"],), aliases=(a["forum_handle"],) if "forum_handle" in a else (),
            keep=tuple(a[r] for r in ("country", "region", "languages", "start_date", "status", "status_history")
                       if r in a) + tuple(s.values())),
        "activities": TableRule("activities", ("Email",), keep=kept_activity, links=("Link",)),
        "checkins": TableRule("check-ins", ("Email",), mention=("Key",), keep=("Key", "Received", "Row", "Reported quarter",
                                                             "Activities")),
        "problems": TableRule("data problems", ("Owner", "Value"), problems=True),
        "blog_reviews": TableRule("blog proposals", ("Author email",), mention=("Reviewers",),
                                  key_of=lambda c: proposal_key(c.get("Author email", ""), c.get("Title", "")),
                                  keep=("Stage", "Published on", "Stage history"), links=("Published URL", "Document")),
        "referral_inquiries": TableRule(
            "referral inquiries", ("Contact email",), mention=("Current candidate", "Recommended ambassador",
                                                              "Referral history"),
            keep=("Country", "Region", "Language", "Need", "Inquiry ID", "Referral status", "Offered at",
                  "Current candidate", "Recommended ambassador", "Referral history")),
        "referral_answers": TableRule("referral answers", ("Email Address",),
                                      keep=("Timestamp", "Offer code", "Answer")),
        "funding_requests": TableRule(
            "funding requests", ("Ambassador email",), mention=("What",), links=("Invoice",),
            key_of=lambda c: funding_row_key(lambda t: c.get(t, "")),
            # What is free text that may name the person: a token on their rows, their address replaced on others'
            keep=("Kind", "Amount", "Currency", "Event date", "Region", "Status", "Approved amount",
                  "Invoice received", "Requested on", "First seen", "Flags", "Reminders sent")),
        "mail_ledger": TableRule("mail ledger", ("Recipient",), mention=("Key",), rekeyed=True,
                                 keep=("Key", "Job", "Status", "Attempts", "Message-ID", "At", "Last attempt",
                                       "Sent at")),
        "conduct_register": TableRule("conduct register", ("Email",), delete=True, restricted=True),
        # Suggestions made from the person's own feeds and posts: nothing to keep once they are erased.
        "found_activities": TableRule("found activities", ("Email",), delete=True),
        "event_attendees": TableRule("event attendees", ("Email",), keep=("Event", "Date"), names=("Name",)),
    }


def personal_data(config: Config, client=None, spec=None) -> list[PersonalTable]:
    """Every table that may hold a person's data, with its rule and the adapter that reads and rewrites it:
    on Airtable the base's tables, and the CSV files that stay local (the form's download, the answers)."""
    rules = privacy_rules(config)
    d = config.local_dir
    # The answers' download, even when they are read live: an earlier download may still hold a person's rows.
    local = {"referral_answers": d / config.referrals.answers_file}
    if config.checkin_form.source == "local":
        local = {"responses": d / config.checkin_form.file, **local}
    if config.backend == "airtable":
        from ..adapters.airtable.personal_tables import AirtablePersonalTables

        remote = AirtablePersonalTables(client, {role: spec[role] for role in rules if role in spec.tables})
        by_role = {role: f"Airtable table {spec[role].name}" for role in rules if role in spec.tables}
        out = [PersonalTable(rules[role], remote, table) for role, table in by_role.items()]
    else:
        files = {"ambassadors": d / config.ambassadors.file, "activities": d / "activities.csv",
                 "checkins": d / "checkins.csv", "problems": d / "unusable_rows.csv",
                 "mail_ledger": d / "mail_ledger.csv", "blog_reviews": d / config.blog_reviews.file,
                 "referral_inquiries": d / config.referrals.file, "funding_requests": d / config.funding.file,
                 "conduct_register": d / config.conduct.file, "found_activities": d / "found_activities.csv"}
        attendees = d / config.certificates.attendees_dir
        for path in sorted(attendees.glob("*.csv")) if attendees.is_dir() else ():
            files[f"event_attendees:{path.name}"] = path
        local = {**files, **local}
        out = []
    restricted = [str(p) for role, p in local.items() if rules[role.split(":")[0]].restricted]
    tables = CsvPersonalTables({str(p): p for p in local.values()}, private=restricted)  # conduct: 0600
    out = [PersonalTable(rules[role.split(":")[0]], tables, str(path)) for role, path in local.items()] + out
    order = list(rules)  # the source first, what is derived from it next, the roster and the rest after
    return sorted(out, key=lambda t: order.index(next(r for r, rule in rules.items() if rule is t.rule)))


def erased_addresses(ledger: Ledger) -> set[str]:
    """The keyed hashes of everyone erased (the ledger's `erase` steps)."""
    return {e.recipient for e in ledger.entries().values() if e.job == ERASE_JOB}


def privacy_key(config: Config, environ: Mapping[str, str], create: bool) -> Callable[[], bytes]:
    """The secret of the keyed hashes: from the environment (`privacy.key_env`), else a key made once in
    local.dir/.privacy_key (git-ignored). A dry run that finds neither uses a key of its own, keeps nothing."""
    def load() -> bytes:
        named = environ.get(config.privacy.key_env, "").strip()
        if named:
            return named.encode("utf-8")
        path = config.local_dir / ".privacy_key"
        if path.is_file():
            return path.read_bytes().strip()
        key = secrets.token_hex(32).encode("ascii")
        if create:  # readable by its owner only from the first byte; never replaced once made
            return create_once(path, key + b"\n").strip()
        return key
    return load


def secret_values(config: Config, environ: Mapping[str, str] | None = None) -> list[str]:
    """Every secret the configuration points at, for the log's redaction: the values of the Airtable token,
    SMTP password and Discourse key variables, the DKIM private key, and the private key (and its id) of the Google
    service-account key file. Only this function reads them for the log; nothing is printed."""
    import json

    environ = os.environ if environ is None else environ
    names = [config.airtable.token_env, config.mail.smtp.password_env, config.forum.api_key_env,
             config.privacy.key_env]
    found = [environ.get(n, "").strip() for n in names if n]
    dkim_key = environ.get(config.mail.dkim_private_key_env, "") if config.mail.dkim_private_key_env else ""
    # The DKIM private key whole, with its line breaks escaped, and each line of its body but those that are the
    # public key's too (a PKCS#1 key's modulus lines are, byte for byte): `doctor` prints the public record whole.
    found += [dkim_key.strip(), dkim_key.strip().replace("\n", "\\n")]
    public = ""
    with contextlib.suppress(ConfigError):
        public = DkimSigner("s", "d", dkim_key, "").txt_value() if dkim_key.strip() else ""
    found += [line.strip() for line in dkim_key.replace("\\n", "\n").splitlines()
              if len(line.strip()) >= 16 and "-----" not in line and line.strip() not in public]
    with contextlib.suppress(OSError, ValueError):  # the privacy key made in the local folder when the environment has none
        found.append((config.local_dir / ".privacy_key").read_text(encoding="ascii").strip())
    with contextlib.suppress(OSError, ValueError):  # the credentials' signing key (PEM): each line of its body
        pem = (config.local_dir / ".credentials_key").read_text(encoding="ascii")
        found += [line.strip() for line in pem.splitlines() if line.strip() and "-----" not in line]
    g = config.google
    named = environ.get(g.credentials_env, "").strip() if g.credentials_env else ""
    try:
        key = json.loads((Path(named) if named else config.path(g.credentials_file)).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # no key file (most set-ups): nothing to hide
        key = {}
    if isinstance(key, dict):
        private = str(key.get("private_key") or "")
        # The key as a whole, and each line of its body: a log may show it with its line breaks escaped.
        found += [private, private.replace("\n", "\\n"), str(key.get("private_key_id") or "")]
        found += [line.strip() for line in private.splitlines() if len(line.strip()) >= 16 and "-----" not in line]
    return [v for v in found if v]
