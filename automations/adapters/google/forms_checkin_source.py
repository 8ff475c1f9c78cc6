"""`FormsCheckinSource`: the check-in responses through the Google Forms API, by question id.

Once a run, `forms.get` resolves the configured question titles to question ids (a repeated title
belongs to the n-th activity section at its n-th occurrence, as in the response sheet). The ids are
kept in `form_questions.json` beside the other local state, so a question renamed on the form
afterwards is still found by its id: renaming breaks nothing. A configured question that is found
neither by title nor by a kept id is reported by name before anything is ingested. Responses are
read with one `responses.list` page chain and handed to ingestion as the response sheet would show
them (rows in submission order, the Timestamp in the sheet's zone), so both sources give the same
activities.

`FormsBuilder` is `init --form`: it creates the form from the configuration and publishes it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ...errors import InputError, StopRun
from ...ports import NewRows, read_all
from ..files.atomic import atomic_write
from .access import GoogleAccess, http_error_text

NUMBER_ROLES = ("registrations", "attendees", "views", "engagements", "reshares", "hours")
PARAGRAPH_ROLES = ("goal", "description", "audience")


@dataclass(frozen=True)
class FormShape:
    """The questions the configuration names: fixed ones and each section's, by role and title."""

    timestamp: str
    email: str
    quarter: str
    sections: int
    activity_columns: Mapping[str, str]  # role -> title ("{n}": the section number)
    kinds: Sequence[str]  # the kind question's choice labels

    def title(self, role: str, n: int) -> str:
        return self.activity_columns[role].replace("{n}", str(n))

    def slots(self) -> list[tuple[str, str, int]]:
        """(slot name, title, occurrence) of every configured question, in sheet order."""
        out = [("email", self.email, 0), ("quarter", self.quarter, 0)]
        for n in range(1, self.sections + 1):
            for role, template in self.activity_columns.items():
                occurrence = 0 if "{n}" in template else n - 1
                out.append((f"{n}.{role}", self.title(role, n), occurrence))
        return out


def questions_of(form: dict) -> list[tuple[str, str]]:
    """(question id, title) of every question item, in form order."""
    out = []
    for item in form.get("items", []):
        question = item.get("questionItem", {}).get("question")
        if question and question.get("questionId"):
            out.append((question["questionId"], item.get("title", "")))
    return out


_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})(?: (\d{2}:\d{2}))?$")


def with_year(answer: str, sent: datetime) -> str:
    """A date question's answer as ISO text. The API writes `MM-DD` (and `MM-DD HH:MM`) for a question asked
    without the year: the year is the one in which the response was sent, or the one before when that date
    would fall after it (an activity in December reported in January)."""
    m = _MONTH_DAY.match(answer.strip())
    if not m:
        return answer
    month, day = int(m.group(1)), int(m.group(2))
    for year in (sent.year, sent.year - 1):
        try:
            when = date(year, month, day)
        except ValueError:
            continue  # 29 February in a year without it
        if when <= sent.date():
            return when.isoformat()
    return answer  # no year makes it a date on or before the response: left for ingestion to name


def _rfc3339(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def all_responses(access: GoogleAccess, service, form_id: str, where: str) -> list[dict]:
    """Every response of the form in one `responses.list` page chain (5,000 a page), oldest first (by
    createTime, then id): the order of the response sheet's rows. An HttpError is the caller's to word."""
    responses: list[dict] = []
    token = None
    while True:
        page = access.execute(service.forms().responses().list(formId=form_id, pageSize=5000, pageToken=token),
                              f"the {where}'s responses")
        responses += page.get("responses", [])
        token = page.get("nextPageToken")
        if not token:
            break
    # The fewest requests: the form once, and the responses' page chain.
    access.usage.read_table(where, 1 + max(1, -(-len(responses) // 5000)))
    return sorted(responses, key=lambda r: (r.get("createTime", ""), r.get("responseId", "")))


def answer_text(response: dict, question_id: str) -> str:
    """A response's answer to one question as the sheet shows it (a checkbox's choices joined with ", ")."""
    values = response.get("answers", {}).get(question_id, {}).get("textAnswers", {}).get("answers", [])
    return ", ".join(v.get("value", "") for v in values)


def submitted(response: dict, tz: ZoneInfo) -> str:
    """When a response was (last) submitted, as wall-clock text in `tz`: what the response sheet's Timestamp
    cell shows."""
    moment = _rfc3339(response.get("lastSubmittedTime") or response["createTime"]).astimezone(tz)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


class FormsCheckinSource:
    def __init__(self, access: GoogleAccess, form_id: str, shape: FormShape, read_tz: ZoneInfo, state_path: Path,
                 keep_state: bool = True):
        self.access = access
        self.form_id = form_id
        self.shape = shape
        self.read_tz = read_tz
        self.state_path = Path(state_path)
        self.keep_state = keep_state
        self.where = f"Google Form {form_id}"

    def _service(self):
        return self.access.service("forms", "v1", "forms_read")

    def _kept(self) -> dict[str, str]:
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return data.get("questions", {}) if data.get("form_id") == self.form_id else {}

    def sections_of(self, form: dict) -> int:
        """How many activity sections the form has: its numbered kind questions ("Activity {n}: ..."), or the
        kind question's repeats; the configured count when neither is found (resolve then names what is missing)."""
        titles = [" ".join(t.split()).casefold() for _, t in questions_of(form)]
        template = self.shape.activity_columns["kind"]
        if "{n}" in template:
            n = 0
            while " ".join(template.replace("{n}", str(n + 1)).split()).casefold() in titles:
                n += 1
        else:
            n = titles.count(" ".join(template.split()).casefold())
        return n or self.shape.sections

    def resolve(self, form: dict) -> dict[str, str]:
        """Slot -> question id, by title (n-th occurrence) or by the id kept from an earlier run. The sections
        are counted from the form itself: one added since is read like the others."""
        self.shape = replace(self.shape, sections=self.sections_of(form))
        questions = questions_of(form)
        ids = {qid for qid, _ in questions}
        by_title: dict[str, list[str]] = {}
        for qid, title in questions:
            by_title.setdefault(" ".join(title.split()).casefold(), []).append(qid)
        kept = self._kept()
        # A kept id still on the form says which question it is, whatever its title is now; titles
        # place only the questions no id is kept for (a new form, a question added since).
        found: dict[str, str] = {slot: qid for slot, qid in kept.items() if qid in ids}
        taken = set(found.values())
        missing = []
        for slot, title, occurrence in self.shape.slots():
            if slot in found:
                continue
            matches = by_title.get(" ".join(title.split()).casefold(), [])
            if len(matches) > occurrence and matches[occurrence] not in taken:
                found[slot] = matches[occurrence]
                taken.add(matches[occurrence])
            elif slot == "email":
                continue  # the form may collect the address itself (respondentEmail)
            else:
                missing.append(f"'{title}'" + (f" ({slot.split('.')[1]}, section {slot.split('.')[0]})"
                                               if "." in slot else ""))
        if missing:
            raise InputError(f"The {self.where} has no question {', '.join(missing)} (checkin_form in config.yaml): "
                             f"nothing was read; restore the question or change the configuration.")
        if self.keep_state and found != kept:
            atomic_write(self.state_path, json.dumps({"form_id": self.form_id, "questions": found}, indent=2) + "\n")
        return found

    def read_new(self, cursor: tuple | None) -> NewRows:
        """Every row: what the API returns cannot be compared with an earlier read more cheaply than it is
        read, and the ingest that follows is the smaller cost at a form's size."""
        return read_all(self)

    def read(self) -> tuple[list[str], Iterator[list[str]]]:
        from googleapiclient.errors import HttpError

        service = self._service()
        try:
            form = self.access.execute(service.forms().get(formId=self.form_id), f"the {self.where}")
            slots = self.resolve(form)
            responses = all_responses(self.access, service, self.form_id, self.where)
        except HttpError as exc:
            raise StopRun(f"Google Forms refused to read the {self.where} for {self.access.client_email} "
                          f"({http_error_text(exc)}): share the form with that address.") from None
        names = [slot for slot, _, _ in self.shape.slots()]
        titles = [title for _, title, _ in self.shape.slots()]
        headers = [self.shape.timestamp, *titles]

        def answer(response: dict, slot: str) -> str:
            if slot == "email" and slot not in slots:
                return response.get("respondentEmail", "")
            qid = slots.get(slot)
            return "" if qid is None else answer_text(response, qid)

        dated = {s for s in names if s.endswith(".date")}

        def rows() -> Iterator[list[str]]:
            for r in responses:
                moment = _rfc3339(r.get("lastSubmittedTime") or r["createTime"]).astimezone(self.read_tz)
                yield [moment.strftime("%Y-%m-%d %H:%M:%S"),
                       *(with_year(answer(r, s), moment) if s in dated else answer(r, s) for s in names)]

        return headers, rows()


class FormsBuilder:
    """`init --form`: a new check-in form with the configured questions and sections, published."""

    def __init__(self, access: GoogleAccess, shape: FormShape, title: str, state_path: Path, existing: str = ""):
        self.access = access
        self.existing = existing  # checkin_form.form_id, when a form is configured already
        self.shape = shape
        self.title = title
        self.state_path = Path(state_path)

    @property
    def sections(self) -> int:
        return self.shape.sections

    def plan(self) -> list[dict]:
        """The createItem requests, in order: email, quarter, then each section's page and questions."""
        items: list[dict] = [self._text(self.shape.email, required=True),
                             self._text(self.shape.quarter, required=True)]
        for n in range(1, self.shape.sections + 1):
            items.append({"title": f"Activity {n}", "pageBreakItem": {}})
            for role in self.shape.activity_columns:
                title = self.shape.title(role, n)
                if role == "kind":
                    items.append({"title": title, "questionItem": {"question": {"required": n == 1, "choiceQuestion": {
                        "type": "RADIO", "options": [{"value": label} for label in self.shape.kinds]}}}})
                elif role == "date":
                    items.append({"title": title, "questionItem": {"question": {"required": n == 1,
                                                                                "dateQuestion": {"includeYear": True}}}})
                else:
                    items.append(self._text(title, paragraph=role in PARAGRAPH_ROLES, required=n == 1 and role == "title"))
        return items

    @staticmethod
    def _text(title: str, paragraph: bool = False, required: bool = False) -> dict:
        return {"title": title, "questionItem": {"question": {"required": required,
                                                              "textQuestion": {"paragraph": paragraph}}}}

    def create(self) -> tuple[str, str]:
        """Create, fill and publish the form; return its id and the address respondents open."""
        from googleapiclient.errors import HttpError

        service = self.access.service("forms", "v1", "forms_write")
        forms = service.forms()
        try:
            form = self.access.execute(forms.create(body={"info": {"title": self.title,
                                                                   "documentTitle": self.title}}),
                                       "creating the form", write=True, repeatable=False)
            form_id = form["formId"]
            requests = [{"createItem": {"item": item, "location": {"index": i}}} for i, item in enumerate(self.plan())]
            self.access.execute(forms.batchUpdate(formId=form_id, body={"requests": requests}),
                                "adding the form's questions", write=True, repeatable=False)
            self.access.execute(forms.setPublishSettings(formId=form_id, body={
                "publishSettings": {"publishState": {"isPublished": True, "isAcceptingResponses": True}},
                "updateMask": "publishState"}), "publishing the form", write=True)
            form = self.access.execute(forms.get(formId=form_id), "reading the new form")
        except HttpError as exc:
            raise StopRun(f"Google Forms refused to create the check-in form ({http_error_text(exc)}).") from None
        source = FormsCheckinSource(self.access, form_id, self.shape, ZoneInfo("UTC"), self.state_path)
        source.resolve(form)  # keep the question ids from the start
        return form_id, form.get("responderUri", f"https://docs.google.com/forms/d/{form_id}/viewform")
