"""Referral answers without a person: the answer form's responses read live (its linked sheet through real
gspread, or the Forms API through google-api-python-client, both over HTTP against the fake Google on
127.0.0.1), `init --referral-form` making that form once, and the shipped config's `referrals` section."""

from __future__ import annotations

import csv
import html
import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest
import yaml

os.environ.setdefault("NO_GCE_CHECK", "true")

from automations import bootstrap
from automations.config import ReferralsConfig, load_config
from automations.domain.referrals import offer_code
from automations.errors import InputError
from automations.jobs import referrals
from tests.conftest import ROOT, go_live
from tests.fake_google import DateTime
from tests.test_google import configure, google  # noqa: F401 (the fake Google fixture)
from tests.test_referrals import DAY, GERMANY, outbox, read, text_of, write_inquiries

LONDON = ZoneInfo("Europe/London")
SA = "automation@test-project.iam.gserviceaccount.com"
ANSWERS = "1AnswerSheetOfTheForm"
ZOE = "zoe.mueller@example.org"


def cli(program: Path, *args: str) -> subprocess.CompletedProcess:
    """The command line as staff run it, against the fake Google the config points at."""
    return subprocess.run([sys.executable, "-m", "automations", "--config", str(program), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "NO_GCE_CHECK": "true"})


def run(program: Path, day, dry_run: bool = False):
    return referrals.run(bootstrap.build(load_config(program), day, dry_run=dry_run))


def offer(program: Path) -> tuple[str, str]:
    """The inquiry's id and the open offer's code, as the inquiries file has them after a run."""
    row = read(program.parent / "data" / "referral_inquiries.csv")[0]
    return row["Inquiry ID"], offer_code(row["Inquiry ID"], row["Current candidate"])


def links(program: Path) -> tuple[str, str]:
    """The offer mail's "Yes" and "No" links, as its HTML part has them (and its text part too)."""
    (msg,) = [m for k, m in outbox(program).items() if k.startswith("referral_offer:")]
    page = msg.get_body(("html",)).get_content()
    # The two answer links, whatever the candidate's language labels them.
    ((yes, no),) = re.findall(r'<a href="([^"]+)">[^<]*</a> &nbsp;·&nbsp; <a href="([^"]+)">', page)
    found = {"Yes": html.unescape(yes), "No": html.unescape(no)}
    assert all(link in " ".join(text_of(msg).split()) for link in found.values())
    return found["Yes"], found["No"]


def problems(program: Path) -> list[dict]:
    with (program.parent / "data" / "unusable_rows.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


class TestTheLinkedSheet:
    def use_sheet(self, program, fake, rows, tab="Form responses 1"):
        """The answer form's linked sheet (a newer sheet: lower-case "responses"), in São Paulo, pt_BR."""
        fake.add_spreadsheet(ANSWERS, title="Referral answers (responses)", time_zone="America/Sao_Paulo",
                             locale="pt_BR", tabs={tab: rows}, share_with=(SA,))
        configure(program, referrals={"answers_source": "sheets", "answers_spreadsheet_id": ANSWERS})

    def test_an_answer_on_the_sheet_is_read_with_no_download(self, program, google):
        """Zoë's "Yes" lands on the form's linked sheet; the next run reads it from there (no CSV in the folder),
        records the acceptance and tells staff, once."""
        fake, _ = google
        write_inquiries(program, [GERMANY])
        header = ["Carimbo de data/hora", "Offer code", "Answer"]  # Google titles the timestamp in the sheet's language
        self.use_sheet(program, fake, [header])
        first = run(program, DAY)
        assert first.failures == [] and first.new_problems == []
        iid, code = offer(program)
        sent = datetime(2026, 11, 24, 21, 30)  # São Paulo wall-clock time: 00:30 on the 25th in London
        fake.set_values(ANSWERS, "Form responses 1", [header, [DateTime(sent), code, "Yes"]])
        res = run(program, DAY + timedelta(days=2))
        assert res.failures == [] and res.new_problems == []
        row = read(program.parent / "data" / "referral_inquiries.csv")[0]
        assert (row["Referral status"], row["Recommended ambassador"]) == ("accepted", ZOE)
        # The day the answer counts is London's (the 25th), not the sheet's.
        assert row["Referral history"].endswith("2026-11-25 accepted zoe.mueller@example.org")
        assert not (program.parent / "data" / "referral_answers.csv").exists()
        assert f"referral_accepted:{iid}:ambassador-staff@example.org" in outbox(program)
        assert any(r.api == "sheets" and ANSWERS in r.path for r in fake.requests)

    def test_a_timestamp_typed_as_text_reads_in_the_sheets_locale(self, program, google):
        """A US sheet's timestamp typed as text, "11/12/2026 10:00:00", is 12 November (month first, as en_US
        writes dates), though it would read either way."""
        fake, _ = google
        fake.add_spreadsheet(ANSWERS, time_zone="Europe/London", locale="en_US", share_with=(SA,),
                             tabs={"Form Responses 1": [["Timestamp", "Offer code", "Answer"],
                                                        ["11/12/2026 10:00:00", "RCODE", "No"]]})
        configure(program, referrals={"answers_source": "sheets", "answers_spreadsheet_id": ANSWERS})
        answers, problems = bootstrap.build(load_config(program), DAY, dry_run=True).stores.answers.read()
        assert problems == [] and [(a.code, a.yes, a.on.isoformat(), a.row) for a in answers] == \
            [("RCODE", False, "2026-11-12", 2)]

    def test_switching_from_the_download_to_the_sheet_keeps_staffs_decisions(self, program, google):
        """A "maybe" in the CSV download, marked ignored by staff; the same responses then read from the linked
        sheet: the same problem (same id), still ignored, nothing new, nothing sent."""
        fake, _ = google
        write_inquiries(program, [GERMANY])
        run(program, DAY)
        _, code = offer(program)
        path = program.parent / "data" / "referral_answers.csv"
        path.write_text(f"Timestamp,Offer code,Answer\n24/11/2026 09:00:00,{code},maybe\n", encoding="utf-8")
        assert [p.column for p in run(program, DAY + timedelta(days=1)).new_problems] == ["Answer"]
        rows = problems(program)
        mine = [r for r in rows if r["Column"] == "Answer"]
        mine[0]["Status"] = "ignored"
        with (program.parent / "data" / "unusable_rows.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        path.unlink()
        self.use_sheet(program, fake, [["Timestamp", "Offer code", "Answer"],
                                       [DateTime(datetime(2026, 11, 24, 6, 0)), code, "maybe"]])
        sent = set(outbox(program))
        res = run(program, DAY + timedelta(days=1))
        assert res.new_problems == [] and res.failures == [] and set(outbox(program)) == sent
        again = [r for r in problems(program) if r["Column"] == "Answer"]
        assert [(r["Problem ID"], r["Status"]) for r in again] == [(mine[0]["Problem ID"], "ignored")]


class TestTheAnswerTab:
    """The answer form's tab is found as the check-in form's is (`sheets_tabs`): no tab to configure, a relink
    followed or named, the check-in form's tab in the same spreadsheet left alone."""

    HEADER: ClassVar[list[str]] = ["Timestamp", "Offer code", "Answer"]

    def answers(self, program, fake, tabs: dict, **referrals_keys):
        fake.add_spreadsheet(ANSWERS, time_zone="Europe/London", locale="en_GB", tabs=tabs, share_with=(SA,))
        configure(program, referrals={"answers_source": "sheets", "answers_spreadsheet_id": ANSWERS,
                                      **referrals_keys})
        return bootstrap.build(load_config(program), DAY, dry_run=True).stores.answers

    def test_the_answer_forms_tab_is_found_beside_the_check_in_forms(self, program, google):
        """The check-in form writes "Form Responses 1", the answer form (linked later) "Form Responses 2": with
        no tab configured the answers are read from the answer form's tab."""
        fake, _ = google
        checkins = [["Timestamp", "Email Address", "Activity 1: When did it take place?"], [46000.5, "a@x.org", 46000]]
        source = self.answers(program, fake, {"Form Responses 1": checkins, "Form Responses 2": [
            self.HEADER, [DateTime(datetime(2026, 10, 18, 9, 0)), "RCODE", "Yes"]]})
        answers, problems = source.read()
        assert problems == [] and [(a.code, a.yes) for a in answers] == [("RCODE", True)]
        assert source.where.startswith(f"Google Sheet {ANSWERS}, tab 'Form Responses 2'")
        assert "another form's responses" in source.where

    def test_a_configured_tab_the_form_was_relinked_away_from_stops(self, program, google):
        """answers_sheet_tab says "Form Responses 1", the answer form now writes to "Form Responses 3": reading
        the old tab would miss every answer since, so the read stops naming both tabs and the key."""
        fake, _ = google
        source = self.answers(program, fake, {"Form Responses 1": [self.HEADER], "Form Responses 3": [self.HEADER]},
                              answers_sheet_tab="form responses 1")
        with pytest.raises(InputError, match="relinked") as err:
            source.read()
        assert "'Form Responses 3'" in str(err.value) and "'Form Responses 1'" in str(err.value)
        assert "referrals.answers_sheet_tab" in str(err.value) and "the answer form's questions" in str(err.value)

    @pytest.mark.parametrize("configured", ["", "Form Responses 1"], ids=["found", "configured"])
    def test_two_tabs_differing_only_in_case_or_spacing_are_named(self, program, google, configured):
        """"Form Responses 1" and "form  responses 1": which one the form writes to cannot be told, so one sentence
        names both, whether the tab is configured or found."""
        fake, _ = google
        source = self.answers(program, fake, {"Form Responses 1": [self.HEADER], "form  responses 1": [self.HEADER]},
                              answers_sheet_tab=configured)
        with pytest.raises(InputError) as err:
            source.read()
        assert "the tabs 'Form Responses 1', 'form  responses 1', whose names differ only in case or spacing" \
            in str(err.value) and "referrals.answers_sheet_tab" in str(err.value)


class TestTheFormsApi:
    def test_init_makes_one_published_form_and_prints_its_entries(self, program, google):
        """`init --referral-form` creates the form, adds "Offer code" and "Answer" (Yes, No), publishes it and
        prints each question's pre-fill entry (its id read as hexadecimal) with the keys to set; run again, it
        makes nothing and prints the same."""
        fake, _ = google
        dry = cli(program, "init", "--referral-form", "--dry-run")
        assert dry.returncode == 0 and "would create the referral answer form" in dry.stdout
        assert not [f for f in fake.files().values() if f["mimeType"].endswith("form")]
        first = cli(program, "init", "--referral-form")
        assert first.returncode == 0, first.stderr
        (form_id,) = [i for i, f in fake.files().items() if f["mimeType"].endswith("form")]
        form = fake.forms(form_id)
        assert form["publishSettings"]["publishState"] == {"isPublished": True, "isAcceptingResponses": True}
        questions = {i["title"]: i["questionItem"]["question"] for i in form["items"]}
        assert [o["value"] for o in questions["Answer"]["choiceQuestion"]["options"]] == ["Yes", "No"]
        keys = yaml.safe_load(first.stdout)["referrals"]
        assert keys == {"answer_form_url": form["responderUri"], "answers_source": "forms", "answers_form_id": form_id,
                        "prefill_code_entry": f"entry.{int(questions['Offer code']['questionId'], 16)}",
                        "prefill_answer_entry": f"entry.{int(questions['Answer']['questionId'], 16)}"}
        assert f"Created and published the referral answer form {form_id}" in first.stderr
        fake.reset_log()
        again = cli(program, "init", "--referral-form")
        assert again.returncode == 0 and again.stdout == first.stdout
        assert "no second form made" in again.stderr
        assert [r for r in fake.requests if r.api == "forms" and r.method != "GET"] == []
        assert len([f for f in fake.files().values() if f["mimeType"].endswith("form")]) == 1

    def test_a_form_left_half_made_is_finished_not_made_again(self, program, google):
        """A run killed after Google made the form (its id kept, no questions yet, unpublished): the next
        run adds the questions to that form and publishes it."""
        fake, _ = google
        fake.add_form("1HalfMadeForm", "Referral answer", [], share_with=(SA,), published=False)
        (program.parent / "data" / "referral_form.json").write_text(json.dumps({"form_id": "1HalfMadeForm",
                                                                               "made": True}))
        res = cli(program, "init", "--referral-form")
        assert res.returncode == 0, res.stderr
        assert "no second form made; added the questions and published it" in res.stderr
        form = fake.forms("1HalfMadeForm")
        assert [i["title"] for i in form["items"]] == ["Offer code", "Answer"]
        assert form["publishSettings"]["publishState"]["isPublished"] is True
        assert len([f for f in fake.files().values() if f["mimeType"].endswith("form")]) == 1

    def test_the_offers_link_answers_through_the_forms_api(self, program, google):
        """The keys `init --referral-form` printed, pasted into the config: the offer's "Yes" link pre-fills the
        form's own questions; the answer it submits is read through the Forms API and accepts the offer.
        doctor's referral line names the form."""
        fake, _ = google
        made = cli(program, "init", "--referral-form")
        configure(program, referrals=yaml.safe_load(made.stdout)["referrals"])
        form_id = load_config(program).referrals.answers_form_id
        write_inquiries(program, [GERMANY])
        assert run(program, DAY).failures == []
        iid, code = offer(program)
        yes, no = links(program)
        assert yes.startswith(fake.forms(form_id)["responderUri"] + "?usp=pp_url&")
        # What the candidate's browser submits: the pre-filled values, under the questions the entries name.
        by_entry = {f"entry.{int(i['questionItem']['question']['questionId'], 16)}": i["questionItem"]["question"]
                    ["questionId"] for i in fake.forms(form_id)["items"]}
        filled = {by_entry[k]: [v] for k, v in parse_qsl(urlsplit(yes).query) if k in by_entry}
        assert sorted(v for (v,) in filled.values()) == sorted([code, "Yes"])
        assert dict(parse_qsl(urlsplit(no).query))[yaml.safe_load(made.stdout)["referrals"]["prefill_answer_entry"]] \
            == "No"
        fake.add_response(form_id, filled, datetime(2026, 11, 24, 9, 0, tzinfo=LONDON))
        res = run(program, DAY + timedelta(days=1))
        assert res.failures == [] and res.new_problems == []
        row = read(program.parent / "data" / "referral_inquiries.csv")[0]
        assert (row["Referral status"], row["Recommended ambassador"]) == ("accepted", ZOE)
        assert f"referral_accepted:{iid}:ambassador-staff@example.org" in outbox(program)
        doctor = cli(go_live(program), "doctor")  # the example's placeholders replaced: doctor's go-live check
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        assert f"answers Google Form {form_id}: 1." in doctor.stdout


class TestTheShippedConfig:
    def test_every_referrals_key_is_set_and_commented(self):
        """The shipped config.yaml has a referrals section reading the local download, every key of it on a
        line with its comment."""
        text = (ROOT / "config.yaml").read_text(encoding="utf-8").splitlines()
        start = text.index("referrals:")
        lines = []
        for line in text[start + 1:]:
            if not line.startswith("  "):
                break
            lines.append(line)
        keys = {ln.split(":", 1)[0].strip(): ln for ln in lines}
        assert set(keys) == set(ReferralsConfig.model_fields)
        assert all(" # " in ln for ln in keys.values())
        r = load_config(ROOT / "config.yaml").referrals
        assert r.answers_source == "local" and r.answer_form_url and r.prefill_code_entry and r.prefill_answer_entry

    def test_a_live_source_without_its_id_is_one_sentence(self, program):
        """answers_source sheets or forms without the spreadsheet's or the form's id: the key is named."""
        for source, key in (("sheets", "referrals.answers_spreadsheet_id"), ("forms", "referrals.answers_form_id")):
            configure(program, referrals={"answers_source": source})
            res = cli(program, "referrals")
            assert res.returncode == 2 and key in res.stderr and "Traceback" not in res.stderr

    def test_the_example_offers_carry_the_prefilled_links_and_run_all_exits_0(self, program):
        """With the shipped config an offer's links are the answer form's, pre-filled with its code and the
        answer (no "reply with the code"); the example's answer download, made by init, reads; and the README's
        first command still exits 0."""
        assert cli(program, "init").returncode == 0
        ctx = bootstrap.build(load_config(program), DAY, dry_run=True)
        assert ctx.stores.answers.read() == ([], [])  # the header row init wrote: no answer, no problem
        write_inquiries(program, [GERMANY])
        run(program, DAY)
        _, code = offer(program)
        yes, no = links(program)
        assert yes == f"https://docs.google.com/forms/d/e/EXAMPLE/viewform?usp=pp_url&entry.2000001={code}" \
                      f"&entry.2000002=Yes"
        assert no.endswith("&entry.2000002=No")
        (msg,) = [m for k, m in outbox(program).items() if k.startswith("referral_offer:")]
        assert "Reply to this message" not in text_of(msg)
        fresh = program.parent / "fresh"
        from tests.conftest import copy_example

        res = cli(copy_example(fresh), "--as-of", "2026-10-19", "run-all")
        assert res.returncode == 0, res.stderr
