"""The AnswerSource contract: the referral answer form's responses read the same from every source.

One set of responses, as each source holds it: the form's CSV download (`local`), the form's linked
response sheet (`sheets`: real gspread over HTTP against the fake Google, a sheet in São Paulo time with
timestamps as serial numbers) and the Forms API (`forms`: google-api-python-client against the fake, the
responses submitted at the same instants). Every source gives the same answers, on the same days (in the
program's zone), numbered as the sheet numbers its rows, and the same problems under the same names, so a
problem keeps its id when the source changes.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from automations.adapters.csv.referral_store import CsvAnswerSource
from automations.adapters.google.access import GoogleAccess, GoogleSettings
from automations.adapters.google.forms_answer_source import (
    FormRecord,
    FormsAnswerSource,
    ReferralFormBuilder,
)
from automations.adapters.google.sheets_answer_source import SheetsAnswerSource
from automations.domain.referrals import Answer
from automations.domain.values import TimestampParser
from automations.errors import InputError
from tests.contract.conftest import adapter_kind
from tests.fake_google import DateTime, FakeGoogle, make_service_account_key

LONDON, SAO_PAULO, UTC = ZoneInfo("Europe/London"), ZoneInfo("America/Sao_Paulo"), ZoneInfo("UTC")
SA = "automation@test-project.iam.gserviceaccount.com"
SHEET = "1AnswerSheet"
SOURCE = "referral_answers.csv"  # the name every source's problems carry
HEADERS = ["Timestamp", "Email Address", "Offer code", "Answer"]
#: (instant, email, code, answer): a yes, a no typed in lower case, a word that is neither, and an answer sent
#: half an hour after midnight in London (still the day before in São Paulo, where the sheet is).
RESPONSES = [
    (datetime(2026, 11, 24, 10, 0, tzinfo=LONDON), "ana@example.org", "RAAAA111", "Yes"),
    (datetime(2026, 11, 24, 11, 15, tzinfo=LONDON), "", "rbbbb222", "No"),
    (datetime(2026, 11, 24, 12, 0, tzinfo=LONDON), "", "RCCCC333", "maybe"),
    (datetime(2026, 11, 25, 0, 30, tzinfo=LONDON), "bo@example.org", "RDDDD444", "Yes"),
]
EXPECTED = [Answer("RAAAA111", True, date(2026, 11, 24), "ana@example.org", 2),
            Answer("RBBBB222", False, date(2026, 11, 24), "", 3),
            Answer("RDDDD444", True, date(2026, 11, 25), "bo@example.org", 5)]


def parser() -> TimestampParser:
    """As bootstrap makes it: timestamps without an offset in the configured zone (London), days in London."""
    return TimestampParser((), LONDON, LONDON)


@dataclass
class Harness:
    make: Callable[[], object]  # a new adapter over the same responses (a new run)
    lose_code_question: Callable[[], None]  # the form's "Offer code" question renamed (or its column)
    writes: Callable[[], int]  # requests or file changes that would have written anything


@pytest.fixture
def harness(kind, tmp_path) -> Harness:
    if kind == "local":
        path = tmp_path / SOURCE

        def write(headers):
            with path.open("w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(headers)
                for moment, email, code, word in RESPONSES:
                    w.writerow([moment.strftime("%d/%m/%Y %H:%M:%S"), email, code, word])

        write(HEADERS)
        before = path.read_bytes()
        yield Harness(lambda: CsvAnswerSource(path, parser()),
                      lambda: write(["Timestamp", "Email Address", "Code", "Answer"]),
                      lambda: int(path.read_bytes() != before))
        return
    with FakeGoogle() as fake:
        key = make_service_account_key(client_email=SA, token_uri=fake.url + "/token")
        fake.register_service_account(key)
        (tmp_path / "key.json").write_text(json.dumps(key))
        access = GoogleAccess(GoogleSettings(tmp_path / "key.json", "a test", endpoints={"sheets": fake.url,
                                                                                          "forms": fake.url},
                                             retry_backoff_seconds=0))

        def writes() -> int:
            return sum(1 for r in fake.requests if r.method != "GET" and r.api != "token")

        if kind == "sheets":
            def cells(headers):
                # The sheet's timestamps are serial numbers of wall-clock time in the spreadsheet's zone.
                return [headers] + [[DateTime(m.astimezone(SAO_PAULO).replace(tzinfo=None)), e, c, w]
                                    for m, e, c, w in RESPONSES]

            # A newer sheet's tab name (lower-case r) and a Portuguese title for its timestamp column.
            fake.add_spreadsheet(SHEET, time_zone="America/Sao_Paulo", locale="pt_BR",
                                 tabs={"Form responses 1": cells(["Carimbo de data/hora", *HEADERS[1:]])},
                                 share_with=(SA,))
            fake.reset_log()
            yield Harness(lambda: SheetsAnswerSource(access, SHEET, "Form Responses 1", parser(), LONDON, SOURCE),
                          lambda: fake.set_values(SHEET, "Form responses 1",
                                                  cells(["Timestamp", "Email Address", "Code", "Answer"])),
                          writes)
            return
        record = FormRecord(tmp_path / "referral_form.json")
        made = ReferralFormBuilder(access, "Referral answer", record).ensure()
        ids = record.load()["questions"]
        for moment, email, code, word in RESPONSES:
            fake.add_response(made.form_id, {ids["code"]: [code], ids["answer"]: [word]}, moment.astimezone(UTC),
                              email or None)
        record.path.unlink()  # no question id kept yet: a source read for the first time
        fake.reset_log()

        def rename():
            item = next(i for i in fake.forms(made.form_id)["items"] if i.get("title") == "Offer code")
            fake.rename_item(made.form_id, item["itemId"], "Code")

        yield Harness(lambda: FormsAnswerSource(access, made.form_id, parser(), LONDON, SOURCE, record), rename,
                      writes)


class AnswerSourceContract:
    """What every answer source promises; a subclass names its source (`kind`)."""

    def test_the_same_answers_from_every_source(self, harness):
        """Yes and no (in any case), the code in capitals, the day in the program's zone, the respondent's
        address when there is one, and the row the sheet gives the response."""
        answers, _problems = harness.make().read()
        assert answers == EXPECTED

    def test_the_same_problems_under_the_same_name(self, harness):
        """A word that is neither yes nor no is a problem of its cell, named alike by every source."""
        _, problems = harness.make().read()
        assert [(p.source, p.row, p.column, p.value) for p in problems] == [(SOURCE, 4, "Answer", "maybe")]

    def test_reading_writes_nothing_and_reads_the_same_twice(self, harness):
        """The form's responses are only read; a second read gives the same."""
        first = harness.make().read()
        assert harness.make().read() == first
        assert harness.writes() == 0

    def test_a_lost_question_is_named_before_anything_is_read(self, harness):
        """The "Offer code" question renamed (its column, in a download) stops the read with one sentence."""
        harness.lose_code_question()
        with pytest.raises(InputError, match="'Offer code'"):
            harness.make().read()

    def test_it_names_where_it_reads(self, harness):
        """`where` names the file, the sheet or the form (doctor's line shows it)."""
        where = harness.make().where
        assert any(w in where for w in (SOURCE, f"Google Sheet {SHEET}", "Google Form "))


class TestCsvAnswerSource(AnswerSourceContract):
    kind = adapter_kind("local")


class TestSheetsAnswerSource(AnswerSourceContract):
    kind = adapter_kind("sheets")


class TestFormsAnswerSource(AnswerSourceContract):
    kind = adapter_kind("forms")
