"""Google Workspace end to end: the real gspread, google-api-python-client and google-auth over HTTP
against the fake Google on 127.0.0.1 (the key made here, its token endpoint the fake's)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

os.environ.setdefault("NO_GCE_CHECK", "true")

from automations import bootstrap
from automations.config import load_config
from automations.errors import InputError, StopRun
from automations.jobs import blog_reviews, run_all, sync_checkins
from tests.conftest import ROOT, go_live
from tests.fake_google import DateTime, FakeGoogle, GoogleFaults, make_service_account_key

AS_OF = date(2026, 11, 23)
LONDON, SAO_PAULO = ZoneInfo("Europe/London"), ZoneInfo("America/Sao_Paulo")
SHEET, FOLDER, TEMPLATE = "1SheetOfResponses", "folderShared01", "docTemplate001"
SENDER = "ambassadors@example.org"
SA = "automation@test-project.iam.gserviceaccount.com"


@pytest.fixture
def google(program):
    """The fake Google, a key it trusts in the program's credentials.json, and the config pointing at it."""
    with FakeGoogle() as fake:
        key = make_service_account_key(client_email=SA, token_uri=fake.url + "/token")
        fake.register_service_account(key)
        fake.allow_delegation(SA, subjects=(SENDER,))
        (program.parent / "credentials.json").write_text(json.dumps(key))
        cfg = yaml.safe_load(program.read_text())
        cfg["google"] = {"credentials_env": "", "endpoints": {n: fake.url for n in
                                                              ("sheets", "forms", "drive", "docs", "gmail")},
                         "retry_backoff_seconds": 0, "max_attempts": 8}
        program.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False))
        yield fake, key


def configure(program: Path, **sections) -> None:
    cfg = yaml.safe_load(program.read_text())
    for name, values in sections.items():
        cfg.setdefault(name, {}).update(values)
    program.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False))


def example_rows(path: Path = ROOT / "data" / "checkin_responses.csv") -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def london(text: str) -> datetime:
    return datetime.strptime(text, "%d/%m/%Y %H:%M:%S").replace(tzinfo=LONDON)


def as_date(text: str):
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y")
    except ValueError:
        return None


def sheet_cells(headers: list[str], rows: list[list[str]]) -> list[list]:
    """The example's responses as the live sheet holds them: in São Paulo time, dates and plain
    numbers as values, everything else as the text people typed."""
    date_cols = {i for i, h in enumerate(headers) if "When did it take place" in h}
    out = [list(headers)]
    for r in rows:
        cells: list = []
        for i, v in enumerate(r):
            if i == 0:
                cells.append(DateTime(london(v).astimezone(SAO_PAULO).replace(tzinfo=None)))
            elif i in date_cols and as_date(v):
                cells.append(DateTime(as_date(v)))
            elif v.isdigit() and not v.startswith("0"):
                cells.append(int(v))
            else:
                cells.append(v)
        out.append(cells)
    return out


def synced(ctx):
    return sync_checkins.run(ctx)


def local_reference(program: Path):
    """The activities and check-ins the CSV download gives: what every source must reproduce."""
    cfg = load_config(program)
    ctx = bootstrap.build(cfg.model_copy(update={"checkin_form": cfg.checkin_form.model_copy(
        update={"source": "local"})}), AS_OF, dry_run=True)
    res = synced(ctx)
    return res.data["activities"], res.data["checkins"]


class TestSheetsSource:
    def use_sheet(self, program, fake, cells):
        fake.add_spreadsheet(SHEET, time_zone="America/Sao_Paulo", locale="pt_BR",
                             tabs={"Form Responses 1": cells}, share_with=(SA,))
        configure(program, checkin_form={"source": "sheets", "spreadsheet_id": SHEET})

    def test_same_activities_as_the_download(self, program, google):
        """Serial timestamps in the sheet's own zone, duplicate titles by position, numbers unguessed:
        the same activities and check-ins as the CSV download."""
        fake, _ = google
        headers, rows = example_rows()
        assert len(headers) != len(set(headers))  # repeated section titles
        self.use_sheet(program, fake, sheet_cells(headers, rows))
        ctx = bootstrap.build(load_config(program), AS_OF, dry_run=True)
        res = synced(ctx)
        acts, checkins = local_reference(program)
        assert res.data["activities"] == acts and res.data["checkins"] == checkins
        assert ctx.usage[0].reads == 2  # the time zone, then the values

    def test_locale_formatted_timestamp(self, program, google):
        """A timestamp held as text in the sheet's locale and zone reads as the same instant as a serial."""
        fake, _ = google
        headers, rows = example_rows()
        cells = sheet_cells(headers, rows)
        moment = london(rows[5][0]).astimezone(SAO_PAULO)
        cells[6][0] = moment.strftime("%d/%m/%Y %H:%M:%S")
        self.use_sheet(program, fake, cells)
        res = synced(bootstrap.build(load_config(program), AS_OF, dry_run=True))
        assert res.data["activities"] == local_reference(program)[0]

    @pytest.mark.parametrize("locale,pattern", [("en_US", "%m/%d/%Y %H:%M:%S"), ("de_DE", "%d.%m.%Y %H:%M:%S")])
    def test_text_timestamps_read_in_the_locales_order(self, program, google, locale, pattern):
        """Timestamps typed as text in a US (month first) or German sheet, every one of them with a day of at
        most 12 so that only the locale can tell: read in the locale's order and the sheet's zone."""
        fake, _ = google
        headers, rows = example_rows()
        rows = [r for r in rows if london(r[0]).astimezone(SAO_PAULO).day <= 12]
        cells = sheet_cells(headers, rows)
        for c, r in zip(cells[1:], rows):
            c[0] = london(r[0]).astimezone(SAO_PAULO).strftime(pattern)
        fake.add_spreadsheet(SHEET, time_zone="America/Sao_Paulo", locale=locale,
                             tabs={"Form Responses 1": cells}, share_with=(SA,))
        configure(program, checkin_form={"source": "sheets", "spreadsheet_id": SHEET})
        ctx = bootstrap.build(load_config(program), AS_OF, dry_run=True)
        _, got = ctx.stores.checkins.read()
        assert [row[0] for row in got] == [london(r[0]).strftime("%Y-%m-%d %H:%M:%S") for r in rows]

    def test_text_stays_text(self, program, google):
        """'0123' and '1,200' reach ingestion as typed; a number cell as its digits."""
        fake, _ = google
        headers, rows = example_rows()
        cells = sheet_cells(headers, rows[:2])
        cells[1][headers.index("Activity 1: Title")] = "0123"
        self.use_sheet(program, fake, cells)
        ctx = bootstrap.build(load_config(program), AS_OF, dry_run=True)
        _got_headers, got_rows = ctx.stores.checkins.read()
        first = next(got_rows)
        assert first[headers.index("Activity 1: Title")] == "0123"
        assert first[0] == london(rows[0][0]).strftime("%Y-%m-%d %H:%M:%S")  # back in the program's zone

    def test_renamed_question_is_named_before_ingesting(self, program, google):
        """A question renamed on the form renames its column: the run stops naming it, nothing stored."""
        fake, _ = google
        headers, rows = example_rows()
        renamed = ["Activity 1: Name of it" if h == "Activity 1: Title" else h for h in headers]
        self.use_sheet(program, fake, sheet_cells(renamed, rows))
        with pytest.raises(InputError, match="Activity 1: Title"):
            synced(bootstrap.build(load_config(program), AS_OF, dry_run=False))
        assert not (program.parent / "data" / "activities.csv").exists()

    def test_unshared_sheet_names_the_account(self, program, google):
        """A sheet not shared with the service account: one sentence naming the address to share with."""
        fake, _ = google
        fake.add_spreadsheet(SHEET, tabs={"Form Responses 1": [["Timestamp"]]}, share_with=())
        configure(program, checkin_form={"source": "sheets", "spreadsheet_id": SHEET})
        with pytest.raises(InputError, match=SA):
            bootstrap.build(load_config(program), AS_OF, dry_run=True).stores.checkins.read()

    def test_faults_end_in_the_same_state(self, program, google):
        """With injected 401s, 429s and 5xx the read completes with the same activities."""
        fake, _ = google
        headers, rows = example_rows()
        self.use_sheet(program, fake, sheet_cells(headers, rows))
        reference = local_reference(program)[0]
        fake.faults = GoogleFaults(rate_401=0.15, rate_429=0.15, rate_5xx=0.15, seed=3)
        for _ in range(8):
            res = synced(bootstrap.build(load_config(program), AS_OF, dry_run=True))
            assert res.data["activities"] == reference
        assert {"401", "429", "5xx"} <= {str(r.fault) for r in fake.requests}


class TestResponseTabs:
    """The tab a linked form writes to is found by its name, whatever its case; of several, the one the form
    writes to now (Google's "Choose where to save form responses": a form relinked to its spreadsheet writes to
    a new tab `Form Responses N`, and the old one receives nothing more)."""

    def sheet(self, program, fake, tabs: dict, **checkin_form):
        fake.add_spreadsheet(SHEET, time_zone="America/Sao_Paulo", locale="pt_BR", tabs=tabs, share_with=(SA,))
        configure(program, checkin_form={"source": "sheets", "spreadsheet_id": SHEET, **checkin_form})

    def doctor(self, program) -> tuple[list[str], list[str], StopRun | None]:
        from automations.jobs import doctor

        out: list[str] = []
        err: list[str] = []
        try:
            doctor.run(bootstrap.for_doctor(program, AS_OF), lambda line, bad: (err if bad else out).append(line))
        except StopRun as exc:
            return out, err, exc
        return out, err, None

    def test_a_new_sheets_lower_case_tab_is_read(self, program, google):
        """Newer sheets name the tab "Form responses 1": read with no sheet_tab set, in the same two requests."""
        fake, _ = google
        headers, rows = example_rows()
        self.sheet(program, fake, {"Form responses 1": sheet_cells(headers, rows), "Notes": [["kept by staff"]]})
        ctx = bootstrap.build(load_config(program), AS_OF, dry_run=True)
        res = synced(ctx)
        assert (res.data["activities"], res.data["checkins"]) == local_reference(program)
        assert ctx.usage[0].reads == 2 and ctx.stores.checkins.where == f"Google Sheet {SHEET}, tab 'Form responses 1'"

    def test_a_configured_tab_is_found_whatever_its_case(self, program, google):
        """sheet_tab "Form Responses 1" (the old default, kept in a config) reads a tab named "Form responses 1"."""
        fake, _ = google
        headers, rows = example_rows()
        self.sheet(program, fake, {"Form responses 1": sheet_cells(headers, rows)}, sheet_tab="Form Responses 1")
        res = synced(bootstrap.build(load_config(program), AS_OF, dry_run=True))
        assert res.data["activities"] == local_reference(program)[0]

    def test_a_relinked_form_is_read_from_its_new_tab(self, program, google):
        """The form relinked: "Form Responses 1" holds the responses up to the relink, "Form Responses 14" every
        one (the relinked form writes to it): the newest is read, the same as the download, and doctor says the
        form was relinked, naming both tabs."""
        fake, _ = google
        headers, rows = example_rows()
        self.sheet(program, fake, {"Form Responses 1": sheet_cells(headers, rows[:60]), "Summary": [["Totals"]],
                                   "Form Responses 14": sheet_cells(headers, rows)})
        ctx = bootstrap.build(load_config(program), AS_OF, dry_run=True)
        res = synced(ctx)
        assert res.data["activities"] == local_reference(program)[0]
        assert ctx.usage[0].reads == 3  # the tabs, their header rows, the newest's values
        go_live(program)
        out, err, stop = self.doctor(program)
        assert stop is None, err
        line = next(x for x in out if x.startswith("ok   check-in responses"))
        assert "tab 'Form Responses 14'" in line and "'Form Responses 1'" in line and "relinked" in line

    def test_another_forms_newer_tab_is_not_taken(self, program, google):
        """A second form (the referral answers) linked to the same spreadsheet writes "Form Responses 2": its
        questions are not the check-in form's, so "Form Responses 1" is read."""
        fake, _ = google
        headers, rows = example_rows()
        self.sheet(program, fake, {"Form Responses 1": sheet_cells(headers, rows),
                                   "Form Responses 2": [["Timestamp", "Offer code", "Answer", "Email Address"]]})
        ctx = bootstrap.build(load_config(program), AS_OF, dry_run=True)
        assert synced(ctx).data["activities"] == local_reference(program)[0]
        assert ctx.stores.checkins.where.startswith(f"Google Sheet {SHEET}, tab 'Form Responses 1'")

    def test_doctor_names_a_form_relinked_away_from_the_configured_tab(self, program, google):
        """sheet_tab says "Form Responses 1", but the form was relinked to "Form Responses 14": reading the old
        tab would miss every response since, so doctor fails naming both tabs and the key, and sync-checkins
        stops before writing anything."""
        fake, _ = google
        headers, rows = example_rows()
        self.sheet(program, fake, {"Form Responses 1": sheet_cells(headers, rows[:60]),
                                   "Form Responses 14": sheet_cells(headers, rows)}, sheet_tab="Form Responses 1")
        go_live(program)
        _, err, stop = self.doctor(program)
        assert stop is not None
        line = next(x for x in err if "relinked" in x)
        assert line.startswith("FAIL The form was relinked") and "'Form Responses 14'" in line
        assert "'Form Responses 1'" in line and "checkin_form.sheet_tab" in line
        with pytest.raises(InputError, match="relinked"):
            synced(bootstrap.build(load_config(program), AS_OF, dry_run=False))
        assert not (program.parent / "data" / "activities.csv").exists()

    def test_no_responses_tab_names_the_tabs_and_the_key(self, program, google):
        """Several tabs and none named as a form names its responses' tab: one sentence, the tabs and the key."""
        fake, _ = google
        self.sheet(program, fake, {"Responses": [["Timestamp"]], "Notes": []})
        with pytest.raises(InputError, match=r"'Responses', 'Notes'\): set checkin_form.sheet_tab"):
            bootstrap.build(load_config(program), AS_OF, dry_run=True).stores.checkins.read()

    @pytest.mark.parametrize("titles,configured,chosen", [
        (["Form responses 1"], "", "Form responses 1"),
        (["Form Responses 1", "Form Responses 14", "Form Responses 3"], "", "Form Responses 14"),
        (["Check-ins"], "", "Check-ins"),  # a renamed tab, the only one
        (["Form responses 1", "Notes"], "FORM RESPONSES 1", "Form responses 1"),
        (["Notes", "Replies"], "Replies", "Replies"),
    ])
    def test_choose_tab(self, titles, configured, chosen):
        """The configured tab whatever its case, else the only response tab, else the highest-numbered."""
        from automations.adapters.google.sheets_checkin_source import choose_tab

        assert choose_tab(titles, configured, "Google Sheet X").title == chosen

    def test_a_configured_tab_that_is_not_there_lists_the_tabs(self):
        from automations.adapters.google.sheets_checkin_source import choose_tab

        with pytest.raises(InputError, match=r"no tab 'Form Responses 1' .* its tabs are 'Form Responses 2'"):
            choose_tab(["Form Responses 2"], "Form Responses 1", "Google Sheet X")


class TestOneTabRule:
    """One rule finds every form's tab (`sheets_tabs`): case and inner spacing ignored; two tabs whose names differ
    only so are one sentence naming both."""

    @pytest.mark.parametrize("titles,wanted,found", [
        (["Form responses 1", "Notes"], "FORM  RESPONSES 1", "Form responses 1"),
        (["Form  Responses 1"], "Form Responses 1", "Form  Responses 1"),
        (["Replies", "Notes"], "Answers", None),
    ])
    def test_find_tab(self, titles, wanted, found):
        from automations.adapters.google.sheets_tabs import find_tab

        assert find_tab(titles, wanted, "Google Sheet X", "checkin_form.sheet_tab") == found

    def test_two_tabs_alike_are_one_sentence_naming_both(self):
        from automations.adapters.google.sheets_tabs import find_tab

        with pytest.raises(InputError, match=r"the tabs 'Form Responses 1', 'form  responses 1', whose names differ "
                                             r"only in case or spacing.*checkin_form.sheet_tab"):
            find_tab(["Form Responses 1", "form  responses 1"], "Form Responses 1", "Google Sheet X",
                     "checkin_form.sheet_tab")

    def test_the_check_in_source_names_two_tabs_alike(self, program, google):
        """Found with no tab configured, after their header rows were read: still one sentence, nothing read."""
        fake, _ = google
        headers, rows = example_rows()
        fake.add_spreadsheet(SHEET, time_zone="America/Sao_Paulo", locale="pt_BR", share_with=(SA,),
                             tabs={"Form Responses 1": sheet_cells(headers, rows), "Form responses  1": [headers]})
        configure(program, checkin_form={"source": "sheets", "spreadsheet_id": SHEET})
        with pytest.raises(InputError, match="'Form Responses 1', 'Form responses  1', whose names differ"):
            bootstrap.build(load_config(program), AS_OF, dry_run=True).stores.checkins.read()


def form_answers(slots: dict[str, str], headers: list[str], row: list[str], sections: int,
                 date_shape: str = "%Y-%m-%d") -> dict[str, list[str]]:
    """One CSV response as answers by question id (dates as the Forms API gives them: `YYYY-MM-DD`, or
    `MM-DD` for a Date question asked without the year, `YYYY-MM-DD HH:MM` with the time)."""
    seen: dict[str, int] = {}
    answers: dict[str, list[str]] = {}
    fixed = {"Email Address": "email", "Which quarter are you reporting on?": "quarter"}
    cfg_titles = load_config(ROOT / "config.yaml").checkin_form.activity_columns
    for title, value in zip(headers[1:], row[1:]):
        slot = fixed.get(title)
        if slot is None:
            for role, template in cfg_titles.items():
                if "{n}" in template:
                    for n in range(1, sections + 1):
                        if template.replace("{n}", str(n)) == title:
                            slot = f"{n}.{role}"
                elif template == title:
                    seen[title] = seen.get(title, 0) + 1
                    slot = f"{seen[title]}.{role}"
        if slot is None or not value.strip():
            continue
        if slot.endswith(".date") and as_date(value):
            value = as_date(value).strftime(date_shape)
        answers[slots[slot]] = [value]
    return answers


class TestFormsSource:
    def make_form(self, program, fake, date_shape: str = "%Y-%m-%d"):
        ctx = bootstrap.build(load_config(program), AS_OF, dry_run=False)
        form_id, url = ctx.makers.form_builder.create()
        configure(program, checkin_form={"source": "forms", "form_id": form_id})
        slots = json.loads((program.parent / "data" / "form_questions.json").read_text())["questions"]
        headers, rows = example_rows()
        for r in rows:
            fake.add_response(form_id, form_answers(slots, headers, r, 3, date_shape), london(r[0]), None)
        return form_id, url

    @pytest.mark.parametrize("shape", ["%m-%d", "%Y-%m-%d %H:%M", "%m-%d %H:%M"],
                             ids=["month-day", "with-time", "month-day-time"])
    def test_date_answers_without_the_year_or_with_a_time(self, program, google, shape):
        """A Date question asked without the year gives `MM-DD` (the year is the response's, or the one before
        when that would fall after it: December's activity reported in January); with the time, the date part
        counts. Either way the same activities as the download."""
        fake, _ = google
        self.make_form(program, fake, shape)
        res = synced(bootstrap.build(load_config(program), AS_OF, dry_run=True))
        assert res.data["activities"] == local_reference(program)[0]

    def test_same_activities_as_the_download(self, program, google):
        """The same responses through the Forms API give the same activities and check-ins."""
        fake, _ = google
        self.make_form(program, fake)
        res = synced(bootstrap.build(load_config(program), AS_OF, dry_run=True))
        acts, checkins = local_reference(program)
        assert res.data["activities"] == acts and res.data["checkins"] == checkins

    def test_a_section_added_to_the_form_is_read(self, program, google):
        """A fourth activity section on the form (made here by `init --form` with activity_sections: 4, then
        the key removed): the source counts the sections on the form itself, and an activity reported in
        section 4 is read."""
        fake, _ = google
        configure(program, checkin_form={"activity_sections": 4})
        self.make_form(program, fake)
        cfg = yaml.safe_load(program.read_text())
        del cfg["checkin_form"]["activity_sections"]
        program.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False))
        form_id = load_config(program).checkin_form.form_id
        slots = json.loads((program.parent / "data" / "form_questions.json").read_text())["questions"]
        headers, rows = example_rows()
        row = next(r for r in rows if r[1] == "rahul.verma@example.net")
        answers = form_answers(slots, headers, row, 3)
        by_id = {q: s for s, q in slots.items()}
        four = {slots["4." + by_id[q].split(".", 1)[1]]: v for q, v in answers.items() if by_id[q].startswith("1.")}
        four[slots["email"]] = [row[1]]
        fake.add_response(form_id, four, london(row[0]) + timedelta(minutes=1), None)
        res = synced(bootstrap.build(load_config(program), AS_OF, dry_run=True))
        mine = [a for a in res.data["activities"] if a.email == row[1] and a.section == 4]
        assert len(mine) == 1 and mine[0].title == row[headers.index("Activity 1: Title")]

    def test_renaming_a_question_changes_nothing(self, program, google):
        """Questions renamed on the form are still read, by their ids."""
        fake, _ = google
        form_id, _ = self.make_form(program, fake)
        form = fake.forms(form_id)
        for item in form["items"]:
            if item.get("title") in ("Activity 1: Title", "Views"):
                fake.rename_item(form_id, item["itemId"], item["title"] + " (renamed)")
        res = synced(bootstrap.build(load_config(program), AS_OF, dry_run=True))
        assert res.data["activities"] == local_reference(program)[0]

    def test_renaming_one_repeated_question_shifts_nothing(self, program, google):
        """Only section 2's "Views" renamed: each section still reads its own question."""
        fake, _ = google
        form_id, _ = self.make_form(program, fake)
        views = [i for i in fake.forms(form_id)["items"] if i.get("title") == "Views"]
        fake.rename_item(form_id, views[1]["itemId"], "Views (section 2)")
        res = synced(bootstrap.build(load_config(program), AS_OF, dry_run=True))
        assert res.data["activities"] == local_reference(program)[0]

    def test_a_deleted_question_is_named(self, program, google):
        """A configured question missing from the form (and never seen) is named before anything is read."""
        fake, _ = google
        form_id, _ = self.make_form(program, fake)
        (program.parent / "data" / "form_questions.json").unlink()
        item = next(i for i in fake.forms(form_id)["items"] if i.get("title") == "Activity 2: Title")
        fake.rename_item(form_id, item["itemId"], "Something else")
        with pytest.raises(InputError, match="'Activity 2: Title' \\(title, section 2\\)"):
            synced(bootstrap.build(load_config(program), AS_OF, dry_run=True))

    def test_init_form_then_doctor(self, program, google):
        """init --form creates and publishes the form; doctor with it configured is clean."""
        fake, _ = google
        go_live(program)
        env = {**os.environ, "NO_GCE_CHECK": "true"}
        res = subprocess.run([sys.executable, "-m", "automations", "--config", str(program), "init", "--form"],
                             capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
        assert res.returncode == 0, res.stderr
        form_id = res.stdout.split("check-in form ")[1].split(":")[0]
        configure(program, checkin_form={"form_id": form_id})
        again = subprocess.run([sys.executable, "-m", "automations", "--config", str(program), "init", "--form"],
                               capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
        assert again.returncode == 2 and form_id in again.stderr
        form = fake.forms(form_id)
        assert form["publishSettings"]["publishState"]["isPublished"] is True
        titles = [i.get("title") for i in form["items"]]
        assert titles.count("Views") == 3 and "Activity 3: Title" in titles
        configure(program, checkin_form={"source": "forms", "form_id": form_id})
        doctor = subprocess.run([sys.executable, "-m", "automations", "--config", str(program), "doctor"],
                                capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        assert "Google sign-in as" in doctor.stdout and "every configured question" in doctor.stdout
        key = json.loads((program.parent / "credentials.json").read_text())
        secret = key["private_key"].split("\n")[1]
        assert secret not in res.stdout + res.stderr + doctor.stdout + doctor.stderr


class TestGmail:
    def test_message_decodes_to_the_rendered_template(self, program, google):
        """Through Gmail, as the sender: every contract header, both parts, the same key once."""
        fake, _ = google
        configure(program, mail={"transport": "gmail"})
        ctx = bootstrap.build(load_config(program), date(2026, 10, 5), dry_run=False)
        results = run_all.run(ctx)
        assert all(not r.failures for r in results), [r.failures for r in results]
        assert fake.sent_mail
        msgs = [message_from_bytes(m["raw_bytes"], policy=policy.default) for m in fake.sent_mail]
        assert all(m["X-Automation-Job"] and m["X-Automation-Key"] and m["Message-ID"] for m in msgs)
        invite = next(m for m in msgs if m["X-Automation-Job"] == "checkin_invite")
        assert "check-in" in invite.get_body(("plain",)).get_content().lower()
        assert invite.get_body(("html",)) is not None and {m["user_id"] for m in fake.sent_mail} == {SENDER}
        keys = [m["X-Automation-Key"] for m in msgs]
        assert len(keys) == len(set(keys))
        again = run_all.run(bootstrap.build(load_config(program), date(2026, 10, 5), dry_run=False))
        assert len(fake.sent_mail) == len(msgs) and all(not r.failures for r in again)

    def test_dkim_signed_raw_messages_verify(self, program, google):
        """With mail.dkim_selector, the raw message Gmail is given carries the program's DKIM signature, which
        dkimpy verifies against the record doctor prints (the published key)."""
        import dkim
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        fake, _ = google
        configure(program, mail={"transport": "gmail", "dkim_selector": "gm2026"})
        pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption()).decode("ascii")
        ctx = bootstrap.build(load_config(program), date(2026, 10, 5), dry_run=False,
                              environ={**os.environ, "DKIM_PRIVATE_KEY": pem})
        assert ctx.mail.signer is not None and ctx.mail.signer.name == "gm2026._domainkey.example.org"
        record = ctx.mail.signer.txt_value().encode("ascii")
        results = run_all.run(ctx)
        assert all(not r.failures for r in results) and fake.sent_mail
        lookup = lambda name, timeout=5: record if name == b"gm2026._domainkey.example.org." else None  # noqa: E731
        assert all(dkim.verify(m["raw_bytes"], dnsfunc=lookup) for m in fake.sent_mail)

    def test_token_refresh_after_a_401(self, program, google):
        """Every access token revoked mid-run: google-auth signs in again and the send goes through."""
        fake, _ = google
        configure(program, mail={"transport": "gmail"})
        ctx = bootstrap.build(load_config(program), date(2026, 10, 5), dry_run=False)
        fake.faults = GoogleFaults(rate_401=0.3, seed=2)
        results = run_all.run(ctx)
        assert all(not r.failures for r in results)
        assert any(r.status == 401 for r in fake.requests) and len(fake.sent_mail) > 10
        tokens = [r for r in fake.requests if r.api == "token"]
        assert len(tokens) >= 2


class TestBlogReviewsOnGoogle:
    TEMPLATE_TEXT = ("Blog review: {{title}}\nAuthor: {{author}} <{{author_email}}>\nProposed {{proposed_on}}, "
                     "opened {{created_on}}\nReviewers: {{reviewers}}\n\nSummary\n{{summary}}\n\nChecklist\n"
                     "{{checklist}}\n")

    def setup_docs(self, program, fake, text=TEMPLATE_TEXT):
        from tests.test_blog_reviews import write_proposals

        write_proposals(program, [
            ["Segments after meetups", "priya.deshmukh@example.org", "How we follow up.", "", "draft", "", ""],
            ["A translation sprint", "joao.pereira@example.com", "Two days.", "ambassador-staff@example.org",
             "first review", "", ""]])
        fake.add_folder(FOLDER, "Blog reviews", shared_drive=True, share_with=(SA,))
        fake.add_document(TEMPLATE, "Blog review template", text, parent=FOLDER, share_with=(SA,))
        configure(program, blog_reviews={"documents": "google", "template_document_id": TEMPLATE,
                                         "folder_id": FOLDER})

    def test_a_proposal_run_twice_makes_one_document(self, program, google):
        """One copy in the Shared Drive folder, every placeholder filled, shared without Google's email,
        the link recorded and mailed once."""
        fake, _ = google
        self.setup_docs(program, fake)
        for _ in range(2):
            res = blog_reviews.run(bootstrap.build(load_config(program), AS_OF, dry_run=False))
            assert res.failures == []
        copies = {i: f for i, f in fake.files().items() if i != TEMPLATE and f.get("mimeType", "").endswith("document")}
        assert len(copies) == 2  # one per proposal, however often the job runs
        with (program.parent / "data" / "blog_proposals.csv").open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert sorted(r["Document"].split("/d/")[1].split("/")[0] for r in rows) == sorted(copies)
        for doc_id, f in copies.items():
            text = fake.document_text(doc_id)
            assert "{{" not in text and "Blog review:" in text and "[ ] Facts" in text
            shared = [p for p in f.get("permissions", []) if p.get("emailAddress") != SA]
            assert len(shared) == 2 and all(p.get("sendNotificationEmail") is False for p in shared)
            assert f.get("parents") == [FOLDER]
        created = [k for k in (p.name for p in (program.parent / "outbox").rglob("*.eml"))
                   if k.startswith("blog_review_created")]
        assert len(created) == 4  # author and reviewer of each, once

    def test_doctor_checks_template_and_folder(self, program, google):
        """doctor reaches the review template and folder, and names one it cannot reach."""
        from automations.jobs import doctor

        fake, _ = google
        self.setup_docs(program, fake)
        go_live(program)
        lines: list[tuple[str, bool]] = []
        doctor.run(bootstrap.for_doctor(program, AS_OF), lambda line, err: lines.append((line, err)))
        text = "\n".join(line for line, _ in lines)
        assert "review template document 'Blog review template' is reachable" in text
        configure(program, blog_reviews={"folder_id": "folderNobodyShared"})
        lines.clear()
        with pytest.raises(StopRun):
            doctor.run(bootstrap.for_doctor(program, AS_OF), lambda line, err: lines.append((line, err)))
        assert any(err and "review folder folderNobodyShared cannot be reached" in line for line, err in lines)

    def test_a_placeholder_the_job_does_not_fill_fails_clearly(self, program, google):
        """The template names {{word_count}}: that document is not shared, and the run says why."""
        fake, _ = google
        self.setup_docs(program, fake, self.TEMPLATE_TEXT + "Words: {{word_count}}\n")
        res = blog_reviews.run(bootstrap.build(load_config(program), AS_OF, dry_run=False))
        assert res.failures and all("word_count" in f for f in res.failures)
        assert [i for i, f in fake.files().items() if i != TEMPLATE and f.get("mimeType", "").endswith("document")] == []

    def test_placeholder_syntax_in_a_proposal_is_written_literally(self, program, google):
        """A summary and title holding '{{ name }}' and '{{title}}' (issue 18): written as typed, no failure,
        one shared document per proposal however many runs; a spaced '{{ author }}' in the template is filled."""
        from tests.test_blog_reviews import write_proposals

        fake, _ = google
        self.setup_docs(program, fake, self.TEMPLATE_TEXT + "By {{ author }}\n")
        write_proposals(program, [["Templates: {{author}} and {{ name }}", "priya.deshmukh@example.org",
                                   "Write {{ name }} or {{title}} in a template.", "", "draft", "", ""]])
        for _ in range(3):
            res = blog_reviews.run(bootstrap.build(load_config(program), AS_OF, dry_run=False))
            assert res.failures == []
        copies = [i for i, f in fake.files().items() if i != TEMPLATE and f.get("mimeType", "").endswith("document")]
        assert len(copies) == 1
        text = fake.document_text(copies[0])
        assert "Blog review: Templates: {{author}} and {{ name }}\n" in text
        assert "Write {{ name }} or {{title}} in a template." in text
        assert "By Priya" in text and "\u27e6" not in text
        assert len([p for p in fake.files()[copies[0]].get("permissions", []) if p.get("emailAddress") != SA]) == 2


class TestKey:
    @pytest.mark.parametrize("content, says", [
        (None, "does not exist"), ("not json", "is not JSON"),
        (json.dumps({"type": "authorized_user"}), "not a service-account key"),
        (json.dumps({"type": "service_account", "client_email": "a@b", "token_uri": "http://x",
                     "private_key": "-----BEGIN PRIVATE KEY-----\nMIIBOGUS\n-----END PRIVATE KEY-----\n"}),
         "private key that cannot be read")])
    def test_bad_key_is_one_sentence(self, program, content, says):
        """A missing, malformed or wrong key: exit 2, one sentence naming the file, never its content."""
        path = program.parent / "credentials.json"
        if content is not None:
            path.write_text(content)
        configure(program, checkin_form={"source": "sheets", "spreadsheet_id": SHEET})
        res = subprocess.run([sys.executable, "-m", "automations", "--config", str(program), "sync-checkins"],
                             capture_output=True, text=True, cwd=ROOT, timeout=60,
                             env={**os.environ, "GOOGLE_APPLICATION_CREDENTIALS": ""})
        assert res.returncode == 2 and says in res.stderr and str(path) in res.stderr
        assert "Traceback" not in res.stderr and "MIIBOGUS" not in res.stderr
