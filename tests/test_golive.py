"""`doctor` before go-live: every template rendered with sample data, the example's placeholders, an empty
roster, a base without its tables; and the samples kept true to what the planners really give."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from automations import bootstrap
from automations.config import load_config
from automations.domain import golive
from automations.domain.blog import BlogSettings, Proposal, document_messages, plan_blog
from automations.domain.certificates import EVENT, YEARLY, Certificate
from automations.domain.funding import FundingRequest, FundingSettings, plan_funding
from automations.domain.model import Problem
from automations.domain.problems import ProblemRecord
from automations.domain.quarters import Quarter
from automations.domain.referrals import Inquiry, ReferralSettings, messages_for
from automations.domain.report import build_report, report_messages
from automations.domain.template_samples import SAMPLES, variants
from automations.jobs import certificates as certificate_job
from automations.jobs import mail_jobs, sync_checkins
from automations.mail.templates import TemplateRenderer
from tests.airtable_env import BASE, TOKEN, use_airtable
from tests.conftest import ROOT, copy_example, go_live, run_in_process
from tests.fake_airtable import FakeAirtable


@pytest.fixture
def cli():
    """The command line run in this process (click's runner): what the jobs decide is tested here, not the
    process (tests/test_cli.py and the overlap and lock tests run real processes)."""
    return run_in_process


def set_keys(config: Path, **sections: dict) -> Path:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return config


def fails(res) -> list[str]:
    return [line for line in res.err.splitlines() if line.startswith("FAIL")]


def only_blocking(res, what: str) -> str:
    """The one FAIL line that blocks (exit 2, 'found 1 problem') and says `what`."""
    assert res.code == 2 and "doctor found 1 problem that stops" in res.err, res.err
    return next(line for line in fails(res) if what in line)



def report_page_with(program: Path, line: str, old: str, new: str) -> int:
    """The program's own copy of the report's page, with `old` replaced by `new` on the first line holding
    `line`; that line's index (0-based)."""
    page = program.parent / "templates" / "report" / "report.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    lines = (ROOT / "templates" / "report" / "report.html").read_text(encoding="utf-8").splitlines(keepends=True)
    n = next(i for i, text in enumerate(lines) if line in text)
    lines[n] = lines[n].replace(old, new)
    page.write_text("".join(lines), encoding="utf-8")
    return n

class TestTheExample:
    def test_the_shipped_example_is_a_demo_not_ready_to_go_live(self, program, cli):
        """doctor on the shipped config: exit 2, each placeholder a FAIL naming its key and the fix; the
        README's first command still runs the example (run-all does not run doctor)."""
        res = cli("doctor", config=program)
        assert res.code == 2
        text = "\n".join(fails(res))
        for key in ("checkin_form.form_url", "certificates.signature_image", "program.lead_name",
                    "mail.from_address", "mail.staff_addresses", "program.support_email", "blog_reviews.reviewers",
                    "program.forum_intro_url"):
            assert f"FAIL {key} " in text, key
        assert "set it to" in text and "example.org" in text
        run = cli("--as-of", "2026-10-19", "run-all", config=program)
        assert run.code in (0, 1) and "Summary of run-all" in run.out, run.err

    def test_ready_to_go_live_is_clean(self, program, cli):
        """With the program's own values, nothing blocks (the example roster's addresses are only said)."""
        res = cli("doctor", config=go_live(program))
        assert res.code == 0, res.err
        assert "ok   go-live: no example value left in the configuration" in res.out
        assert fails(res) == [line for line in fails(res) if "domain kept for examples" in line]


class TestPlaceholders:
    def test_the_example_form_link_is_a_fail(self, program, cli):
        go_live(program)
        set_keys(program, checkin_form={"form_url": "https://docs.google.com/forms/d/e/EXAMPLE/viewform"})
        line = only_blocking(cli("doctor", config=program), "checkin_form.form_url")
        assert "the example's link" in line and "set it to the check-in form's link" in line

    def test_the_placeholder_signature_is_a_fail(self, program, cli):
        """The placeholder signature, configured back or copied under another name (its content is compared)."""
        go_live(program)
        art = program.parent / "templates" / "certificates"
        for name in ("signature.png", "lead.png"):
            shutil.copy(ROOT / "templates" / "certificates" / "signature.png", art / name)
            set_keys(program, certificates={"signature_image": f"templates/certificates/{name}"})
            line = only_blocking(cli("doctor", config=program), "certificates.signature_image")
            assert name in line and "placeholder signature" in line and "lead's scanned signature" in line

    def test_the_example_lead_name_and_an_empty_staff_list(self, program, cli):
        go_live(program)
        set_keys(program, program={"lead_name": "Program lead"})
        line = only_blocking(cli("doctor", config=program), "program.lead_name")
        assert "'Program lead'" in line and "set it to the program lead's name" in line
        set_keys(program, program={"lead_name": "Alex Moreau"}, mail={"staff_addresses": []})
        line = only_blocking(cli("doctor", config=program), "mail.staff_addresses")
        assert "is empty" in line

    @staticmethod
    def config(**sections) -> dict:
        """The shipped configuration with `sections` changed, as the plain data doctor gives `golive`."""
        cfg = load_config(ROOT / "config.yaml")
        cfg = cfg.model_copy(update={name: getattr(cfg, name).model_copy(update=values)
                                     for name, values in sections.items()})
        return cfg.model_dump(mode="json", exclude={"base_dir"})

    def test_the_examples_values_are_the_shipped_configurations(self):
        """What `golive` knows as the example's is what config.yaml ships (and the models' defaults it leaves)."""
        from automations.config import ProgramConfig, ReferralsConfig

        cfg = load_config(ROOT / "config.yaml")
        assert golive.EXAMPLE_LEAD_NAME == cfg.program.lead_name == ProgramConfig.model_fields["lead_name"].default
        assert cfg.checkin_form.prefill_email_entry == golive.EXAMPLE_PREFILL_EMAIL
        assert (golive.EXAMPLE_PREFILL_CODE, golive.EXAMPLE_PREFILL_ANSWER) == \
            (cfg.referrals.prefill_code_entry, cfg.referrals.prefill_answer_entry) == \
            (ReferralsConfig.model_fields["prefill_code_entry"].default,
             ReferralsConfig.model_fields["prefill_answer_entry"].default)
        blocking = {line.text.split(" ")[0] for line in golive.placeholders(self.config()) if line.blocking}
        assert {"program.lead_name", "checkin_form.form_url", "mail.from_address"} <= blocking

    def test_no_domain_module_reads_the_configuration(self):
        """The domain takes plain values: none of its modules imports the configuration's models."""
        import ast

        for path in sorted((ROOT / "automations" / "domain").glob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
            assert not [m for m in imported if m.split(".")[-1] == "config" or m.startswith("automations.config")], \
                path.name

    def test_every_example_domain_is_found(self):
        """Addresses and links at example.org/.com/.net and the reserved .test/.example TLDs, in any key."""
        cfg = self.config(mail={"staff_addresses": ["lead@mautic.org", "ops@staff.example.com"]},
                          conduct={"readers": ["reader@example.net"]},
                          program={"funding_url": "https://funding.test/ask"})
        lines = {line.text.split(" ")[0]: line for line in golive.placeholders(cfg) if not line.ok}
        assert "'ops@staff.example.com'" in lines["mail.staff_addresses"].text
        assert "lead@mautic.org" not in lines["mail.staff_addresses"].text
        assert lines["program.funding_url"].blocking
        assert not lines["conduct.readers"].blocking  # a reader who cannot exist harms no one

    def test_the_referral_answer_form(self):
        """A real answer form with the example's pre-fill entries would lose every answer's code: a FAIL;
        no answer form at all is said without blocking (offers then ask for a reply by mail)."""
        real = "https://docs.google.com/forms/d/e/1FAIpQLSd0referralAnswer/viewform"
        lines = golive.placeholders(self.config(referrals={"answer_form_url": real}))
        bad = next(x for x in lines if "referrals.prefill_code_entry" in x.text)
        assert bad.blocking and "matches no offer" in bad.text
        lines = golive.placeholders(self.config(referrals={"answer_form_url": ""}))
        assert not next(x for x in lines if "referrals.answer_form_url is empty" in x.text).blocking


def test_an_empty_roster_is_a_fail(program, cli):
    """A roster with no ambassador: doctor fails (run-all would file every check-in as a problem)."""
    go_live(program)
    roster = program.parent / "data" / "ambassadors.csv"
    roster.write_text(roster.read_text(encoding="utf-8-sig").splitlines()[0] + "\n", encoding="utf-8")
    line = only_blocking(cli("doctor", config=program), "FAIL roster")
    assert "no ambassador" in line and "fill the roster" in line


def test_a_base_without_the_tables_says_run_init_and_nothing_of_scopes(program):
    """A fresh base, no `init`: every FAIL line says to run init; none speaks of the token's scopes."""
    with FakeAirtable(token=TOKEN, base_ids=(BASE,)) as fake:
        use_airtable(go_live(program), fake.url)
        env = {**os.environ, "AIRTABLE_TOKEN": TOKEN, "NO_PROXY": "127.0.0.1,localhost"}
        res = subprocess.run([sys.executable, "-m", "automations", "--config", str(program), "doctor"], cwd=ROOT,
                             capture_output=True, text=True, timeout=120, env=env)
    assert res.returncode == 2
    lines = [x for x in res.stderr.splitlines() if x.startswith(("FAIL", "warn"))]
    # 11 tables (FAIL), and what waits for them (warn: it stops nothing by itself)
    assert len(lines) == 12 and all("run `init`" in x for x in lines), res.stderr
    assert sum(x.startswith("warn") for x in lines) == 1
    assert "scope" not in res.stdout + res.stderr and "cannot be reached" not in res.stderr


class TestTemplates:
    def test_a_template_typo_is_a_fail_naming_file_line_and_name(self, program, cli):
        """{{ frist_name }} in the reminder's text, a misspelt attribute in a shared macro and an unknown name in
        a branch the samples do not take of staff's own Portuguese version of a message (a `<name>.pt.<part>`
        beside the catalog): each a FAIL with its file and line."""
        go_live(program)
        emails = program.parent / "templates" / "emails"
        reminder = emails / "checkin_reminder.txt"
        reminder.write_text(reminder.read_text(encoding="utf-8").replace("{{ first_name }}", "{{ frist_name }}"),
                            encoding="utf-8")
        macros = emails / "_macros.html"
        macros.write_text(macros.read_text(encoding="utf-8").replace("{{ a.title }}", "{{ a.titel }}"),
                          encoding="utf-8")
        invite = emails / "checkin_invite.pt.txt"
        invite.write_text((emails / "checkin_invite.txt").read_text(encoding="utf-8") + "{% if nunca %}{{ semana }}{% endif %}\n",
                          encoding="utf-8")
        res = cli("doctor", config=program)
        assert res.code == 2
        text = "\n".join(fails(res))
        assert f"{reminder}, line 4 (used by checkin_reminder): 'frist_name' is undefined" in text
        assert f"{macros}, line 20" in text and "has no attribute 'titel'" in text
        assert f"{invite}, line " in text and "'nunca' is undefined" in text and "'semana' is undefined" in text
        assert "correct the template" in text

    def test_a_typo_in_the_review_document_or_the_report_is_a_fail(self, program, cli):
        """The local review document's template and the report's page are filled with sample data too."""
        go_live(program)
        document = program.parent / "templates" / "documents" / "blog_review.html"
        document.write_text(document.read_text(encoding="utf-8").replace("{{ title }}</h1>", "{{ titel }}</h1>"),
                            encoding="utf-8")
        n = report_page_with(program, "<h1>Quarterly report {{ r.quarter }}", "r.quarter", "r.quater")
        res = cli("doctor", config=program)
        assert res.code == 2 and "doctor found 2 problems" in res.err
        text = "\n".join(fails(res))
        assert "blog_review.html, line 17: 'titel' is undefined" in text
        assert f"report.html, line {n + 1}): " in text and "no attribute 'quater'" in text

    @pytest.mark.parametrize("line, old, new, name", [
        ("{{ y.referrals }}", "{{ y.referrals }}", "{{ y.referals }}", "referals"),  # a year's row
        ("Activity mix:", "{{ label }}", "{{ h.lable }}", "lable"),  # the mix: a loop over activities
        # (a filter given an undefined value: the line is named, not the name)
        ("First activity: {% if h.first_activity %}", "h.days_to_first", "h.days_to_frist", "StrictUndefined"),
        ("First activity on record:", "h.since", "h.sicne", "sicne"),  # someone who started before the records
        ("{% for c in r.cohorts %}", "r.cohorts", "r.cohort", "cohort"),
        # the provisional banner: the sample is rendered while its window is open too
        ('<div class="state provisional">', "r.window_closes", "r.window_close", "window_close"),
    ])
    def test_a_typo_in_a_page_of_history_is_a_fail(self, program, cli, line, old, new, name):
        """The report's sample holds two ambassadors with activities (one started before the records, one has left
        since), a referral and funding, so the sections that loop over people, cohorts and the pages of history,
        and both sides of their conditions, are rendered by doctor too, not only their headings."""
        go_live(program)
        n = report_page_with(program, line, old, new)
        res = cli("doctor", config=program)
        assert res.code == 2 and "doctor found 1 problem" in res.err
        text = "\n".join(fails(res))
        assert f"report.html, line {n + 1}): " in text and name in text

    def test_a_typo_in_the_verification_page_is_a_fail(self, program, cli):
        """The pages `credentials publish` writes are filled with a sample credential (valid and revoked) too."""
        go_live(program)
        page = program.parent / "templates" / "credentials" / "verify_page.html"
        text = page.read_text(encoding="utf-8")
        assert "<dd>{{ page.what }}</dd>" in text
        page.write_text(text.replace("<dd>{{ page.what }}</dd>", "<dd>{{ page.wat }}</dd>"), encoding="utf-8")
        res = cli("doctor", config=program)
        assert res.code == 2 and "doctor found 1 problem" in res.err
        found = "\n".join(fails(res))
        assert "verify_page.html, line " in found and "no attribute 'wat'" in found and "correct the template" in found

    def test_a_typo_in_the_front_page_for_a_verifier_service_is_a_fail(self, program, cli):
        """The front page's branch for a base URL ending in "=" or "#" is filled too, whatever the program's form."""
        go_live(program)
        page = program.parent / "templates" / "credentials" / "index.html"
        text = page.read_text(encoding="utf-8")
        assert "<p>If a certificate's QR code brought you here" in text
        page.write_text(text.replace("<p>If a certificate's QR code brought you here",
                                     "<p>{{ programm }} If a certificate's QR code brought you here"), encoding="utf-8")
        res = cli("doctor", config=program)
        assert res.code == 2 and "doctor found 1 problem" in res.err
        assert "'programm' is undefined" in "\n".join(fails(res))

    def test_the_same_typo_fails_the_messages_at_send_time(self, program):
        """What doctor renders is what the jobs render: each reminder due fails, naming the file and line."""
        reminder = program.parent / "templates" / "emails" / "checkin_reminder.txt"
        reminder.write_text(reminder.read_text(encoding="utf-8").replace("{{ first_name }}", "{{ frist_name }}"),
                            encoding="utf-8")
        config = load_config(program)
        sync_checkins.run(bootstrap.build(config, date(2026, 10, 12), dry_run=False))
        res = mail_jobs.run(bootstrap.build(config, date(2026, 10, 12), dry_run=True), "reminders")
        failed = [f for f in res.failures if f.startswith("checkin_reminder:")]
        assert failed and all("checkin_reminder.txt failed (line 4): 'frist_name' is undefined" in f for f in failed)

    def test_the_shipped_templates_render_in_every_variant(self):
        renderer = TemplateRenderer(ROOT / "templates" / "emails", {
            "program_name": "P", "support_email": "s@mautic.org", "lead_name": "L", "forum_intro_url": "",
            "forum_sync": False, "funding_url": ""})
        assert renderer.check({job: list(variants(job)) for job in SAMPLES}) == []
        # English, and every language with a catalog (staff's messages too: their recipients have no languages,
        # so they go in English, but a template shared with them must render in every language)
        assert renderer.languages("welcome") == ["en", "de", "es", "fr", "pt"]


# -- the samples say what the planners give --------------------------------------------------------------

def same_names(real: Any, sample: Any, where: str) -> None:
    """Every name a real context gives is in the sample and the other way round, down through mappings and
    the first item of lists of mappings (an empty list or a missing value on either side says nothing more)."""
    if isinstance(real, Mapping) and isinstance(sample, Mapping):
        assert set(real) == set(sample), (where, sorted(set(real) ^ set(sample)))
        for k in real:
            same_names(real[k], sample[k], f"{where}.{k}")
    elif isinstance(real, (list, tuple)) and isinstance(sample, list) and real and sample:
        same_names(real[0], sample[0], f"{where}[0]")


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> dict[str, list]:
    """Real messages of every kind: the example program planned on the days that give its messages, and the
    referral, blog, funding, certificate and report planners given one case each."""
    folder = tmp_path_factory.mktemp("samples")
    config = load_config(copy_example(folder))
    sync_checkins.run(bootstrap.build(config, date(2026, 11, 23), dry_run=False))
    out: dict[str, list] = {}
    for day in (date(2026, 9, 1), date(2026, 10, 3), date(2026, 10, 12), date(2026, 10, 22)):
        ctx = bootstrap.build(config, day, dry_run=True)
        state, _ = mail_jobs.program_state(ctx)
        # A problem found after the receipt went: the note about it (data_problem).
        c = max((c for c in state.checkins), key=lambda c: c.received_at)
        late = ProblemRecord(Problem(state.responses_source, c.row, "Hours spent", "lots", "is not a number", c.email),
                             first_seen=day, owner=c.email)
        state = replace(state, problems=[*state.problems, late], as_of=max(day, c.received_at.date()))
        messages = [m for planners in mail_jobs.JOBS.values() for p in planners for m in p(state)]
        guards = replace(ctx.settings.guards, max_warning_share=0, min_held_notices=1)
        kept, _ = mail_jobs.hold_mass_warnings(replace(ctx, settings=replace(ctx.settings, guards=guards)), state,
                                               messages)
        for m in messages + kept:
            out.setdefault(m.job, []).append(m)
    staff = ("ambassador-staff@mautic.org",)
    names = {"priya@mautic.org": "Priya Deshmukh"}
    inquiry = Inquiry("INQ-1", 2, "Acme", "Jana Novak", "jana@acme.test", "Germany", "Europe", "German",
                      "training", "Two days")
    settings = ReferralSettings(5, "https://forms/answer", "entry.1", "entry.2", staff)
    for history in ([(date(2026, 10, 1), "offered", "priya@mautic.org")],
                    [(date(2026, 10, 1), "offered", "priya@mautic.org"), (date(2026, 10, 2), "accepted", "priya@mautic.org")],
                    [(date(2026, 10, 1), "exhausted", "")]):
        for m in messages_for(replace(inquiry, history=tuple(history)), {}, settings):
            out.setdefault(m.job, []).append(m)
    blog = BlogSettings(("reviewer@mautic.org",), {"draft": 1}, staff)
    proposal = Proposal("blog-1", 2, "Segments", "priya@mautic.org", "How", (), "draft", document="https://d",
                        history=(("draft", date(2026, 9, 1)),))
    for m in plan_blog([proposal], date(2026, 10, 1), blog, names).messages + \
            document_messages(proposal, "https://d", blog, names):
        out.setdefault(m.job, []).append(m)
    funding = FundingSettings(60, ("MautiCamp",), "year", {"EUR": Decimal(100)}, 0.8, (3, 10), staff)
    requests = [FundingRequest("f1", 2, "priya@mautic.org", "MautiCamp stickers", Decimal(250), "EUR",
                               date(2026, 10, 20), "approved", approved_amount=Decimal(200)),
                FundingRequest("f2", 3, "priya@mautic.org", "Banner", Decimal(50), "EUR", date(2026, 11, 1),
                               "requested")]
    for day in (date(2026, 10, 1), date(2026, 11, 2)):
        for m in plan_funding(requests, day, funding, names, "funding_requests.csv").messages:
            out.setdefault(m.job, []).append(m)
    for kind in (YEARLY, EVENT):
        cert = Certificate(f"{kind}:x", kind, "priya@mautic.org", "Priya Deshmukh", "Certificate", "for",
                           date(2026, 9, 1), years=1, event="e", event_name="MautiCamp")
        out.setdefault(kind, []).append(certificate_job.message(cert, None, "2025-09-01"))
    quarter = Quarter.of(date(2026, 8, 1))
    report = build_report("P", quarter, date(2026, 11, 1), 21, {}, [], [], [], None, bootstrap.report_settings(config))
    out.setdefault("quarterly_report", []).extend(report_messages(report, staff, None))
    return out


def test_every_message_is_planned_here(planned):
    assert set(planned) == set(SAMPLES), set(SAMPLES) ^ set(planned)


@pytest.mark.parametrize("job", sorted(SAMPLES))
def test_the_sample_has_the_names_the_planner_gives(planned, job):
    """A planner that gains or drops a name fails here until domain/template_samples.py says the same."""
    for m in planned.get(job, []):
        same_names(dict(m.context), SAMPLES[job], job)
