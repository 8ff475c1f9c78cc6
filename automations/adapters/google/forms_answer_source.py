"""`FormsAnswerSource`: the referral answer form's responses through the Google Forms API, and
`ReferralFormBuilder`: `init --referral-form`, which makes that form.

The source reads the form once a run (`forms.get`: the "Offer code" and "Answer" questions' ids, by title,
else by the ids kept from an earlier read, so a question renamed on the form is still read) and its
responses in one `responses.list` page chain. Each response becomes the row the response sheet would
hold (Timestamp in the zone the answers are read in, the code, the answer, the respondent's address when
the form collects it), numbered in submission order as the sheet numbers its rows, and goes through the
same reading as the CSV download (`domain.referrals.answers_from_rows`).

The builder creates the form (`forms.create`), adds the two questions (`batchUpdate` createItem: a short
text for the code, Yes / No choices for the answer) and publishes it (`setPublishSettings`: a form made
through the API starts unpublished). The form's id is kept in `referral_form.json` in local.dir the moment
Google returns it, so a second run makes no second form, and a run killed half-way finishes the same form.
It does not collect addresses: the offer's code, unguessable and sent only to the candidate, names the
offer (staff may turn on "Collect email addresses"; the job then counts only the candidate's own answer).
A form's pre-fill parameter of a question is `entry.` and the question id read as a hexadecimal number.
"""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

from ...domain.model import Problem
from ...domain.referrals import (
    ANSWER_CHOICES,
    ANSWER_COLUMNS,
    ANSWER_QUESTION,
    CODE_QUESTION,
    Answer,
    answers_from_rows,
)
from ...domain.values import TimestampParser
from ...errors import InputError, StopRun
from ...ports import ReferralForm
from ..files.atomic import atomic_write
from .access import GoogleAccess, http_error_text
from .forms_checkin_source import all_responses, answer_text, questions_of, submitted

#: The answer form's questions by role, as the form titles them.
QUESTIONS = {"code": CODE_QUESTION, "answer": ANSWER_QUESTION}


def _fold(title: str) -> str:
    return " ".join(title.split()).casefold()


def prefill_entry(question_id: str) -> str:
    """The pre-fill parameter of a question ("entry.1234567890"): its id read as hexadecimal ("" when the id
    is not one: then the form's "Get pre-filled link" shows it)."""
    try:
        return f"entry.{int(question_id, 16)}"
    except ValueError:
        return ""


class FormRecord:
    """`referral_form.json` in local.dir: the answer form `init --referral-form` made (its id, address and
    question ids), and the question ids the source found, so a renamed question is still read."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def load(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def save(self, data: dict) -> None:
        atomic_write(self.path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def _resolve(form: dict, kept: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Role -> question id: by title (the first question with it), else the id kept from earlier when the form
    still has that question; and the roles found neither way."""
    ids = [qid for qid, _ in questions_of(form)]
    by_title: dict[str, str] = {}
    for qid, title in questions_of(form):
        by_title.setdefault(_fold(title), qid)
    found: dict[str, str] = {}
    missing: list[str] = []
    for role, title in QUESTIONS.items():
        chosen = by_title.get(_fold(title)) or (kept.get(role) if kept.get(role) in ids else None)
        if chosen is None:
            missing.append(role)
        else:
            found[role] = chosen
    return found, missing


def question_ids(form: dict, kept: dict[str, str], where: str) -> dict[str, str]:
    """Role -> question id (`_resolve`); a question found neither by title nor by a kept id stops the read,
    naming it."""
    found, missing = _resolve(form, kept)
    if missing:
        raise InputError(f"The {where} has no question {' or '.join(repr(QUESTIONS[r]) for r in missing)}: nothing "
                         f"was read; restore the question (the answer form asks for {CODE_QUESTION!r} and "
                         f"{ANSWER_QUESTION!r}).")
    return found


class FormsAnswerSource:
    def __init__(self, access: GoogleAccess, form_id: str, parse_time: TimestampParser, read_tz: ZoneInfo,
                 source: str, record: FormRecord, keep_state: bool = True):
        self.access = access
        self.form_id = form_id
        self.parse_time = parse_time
        self.read_tz = read_tz
        self.source = source  # what its problems name: the same for every answer source (see bootstrap)
        self.record = record
        self.keep_state = keep_state
        self.where = f"Google Form {form_id}"

    def read(self) -> tuple[list[Answer], list[Problem]]:
        from googleapiclient.errors import HttpError

        service = self.access.service("forms", "v1", "forms_read")
        kept = self.record.load()
        known = kept.get("questions", {}) if kept.get("form_id") == self.form_id else {}
        try:
            form = self.access.execute(service.forms().get(formId=self.form_id), f"the {self.where}")
            ids = question_ids(form, known, self.where)
            responses = all_responses(self.access, service, self.form_id, self.where)
        except HttpError as exc:
            raise StopRun(f"Google Forms refused to read the {self.where} for {self.access.client_email} "
                          f"({http_error_text(exc)}): share the form with that address (Editor) and check "
                          f"referrals.answers_form_id.") from None
        if self.keep_state and ids != known:
            self.record.save({**(kept if kept.get("form_id") == self.form_id else {}), "form_id": self.form_id,
                              "questions": ids})
        rows = [[submitted(r, self.read_tz), answer_text(r, ids["code"]), answer_text(r, ids["answer"]),
                 r.get("respondentEmail", "")] for r in responses]
        return answers_from_rows(list(ANSWER_COLUMNS), rows, self.parse_time, self.source)


class ReferralFormBuilder:
    """`init --referral-form`: the answer form made once (or the configured one checked), published, and its
    pre-fill entries."""

    def __init__(self, access: GoogleAccess, title: str, record: FormRecord, configured: str = ""):
        self.access = access
        self.title = title
        self.record = record
        self.configured = configured  # referrals.answers_form_id

    @staticmethod
    def plan(start: int = 0, roles=tuple(QUESTIONS)) -> list[dict]:
        """The createItem requests for the questions of `roles`, from item index `start`."""
        items = {"code": {"title": CODE_QUESTION, "description": "Filled in by the link in the offer's email.",
                          "questionItem": {"question": {"required": True, "textQuestion": {"paragraph": False}}}},
                 "answer": {"title": ANSWER_QUESTION, "questionItem": {"question": {"required": True, "choiceQuestion": {
                     "type": "RADIO", "options": [{"value": v} for v in ANSWER_CHOICES]}}}}}
        return [{"createItem": {"item": items[role], "location": {"index": start + n}}} for n, role in enumerate(roles)]

    def existing(self) -> str:
        """The form to use: referrals.answers_form_id, else the one an earlier run made ("" when none)."""
        return self.configured or self.record.load().get("form_id", "")

    def ensure(self, dry_run: bool = False) -> ReferralForm:
        from googleapiclient.errors import HttpError

        kept = self.record.load()
        form_id = self.existing()
        ours = bool(form_id) and form_id == kept.get("form_id") and kept.get("made", False)
        out = ReferralForm(form_id)
        if not form_id and dry_run:
            out.would.append("create the referral answer form with the questions 'Offer code' and 'Answer' (Yes, No), "
                             "and publish it")
            return out
        forms = self.access.service("forms", "v1", "forms_write").forms()

        def step(would: str, did: str) -> None:  # what a dry run would do, or what was done
            if dry_run:
                out.would.append(would)
            else:
                out.done.append(did)

        try:
            if not form_id:
                made = self.access.execute(forms.create(body={"info": {"title": self.title,
                                                                       "documentTitle": self.title}}),
                                           "creating the referral answer form", write=True, repeatable=False)
                form_id = out.form_id = made["formId"]
                # Kept before anything else: a run killed from here on finishes this form instead of making one.
                self.record.save({"form_id": form_id, "made": True})
                kept, ours = self.record.load(), True
                out.done.append("created")
            form = self.access.execute(forms.get(formId=form_id), f"the referral answer form {form_id}")
            known = kept.get("questions", {}) if kept.get("form_id") == form_id else {}
            lacking = _resolve(form, known)[1]  # a question staff renamed is still there (by its kept id)
            state = form.get("publishSettings", {}).get("publishState", {}) if "publishSettings" in form else None
            unpublished = state is not None and not (state.get("isPublished") and state.get("isAcceptingResponses"))
            if lacking and not ours:
                raise StopRun(f"The referral answer form {form_id} (referrals.answers_form_id) has no question "
                              f"{' or '.join(repr(QUESTIONS[r]) for r in lacking)}: add it on the form, or clear "
                              f"answers_form_id for `init --referral-form` to make a form.")
            if lacking:
                step("add the questions", "added the questions")
                if not dry_run:
                    self.access.execute(forms.batchUpdate(formId=form_id, body={"requests": self.plan(
                        len(form.get("items", [])), lacking)}), "adding the answer form's questions", write=True,
                        repeatable=False)
            if unpublished and ours:
                step("publish it", "published it")
                if not dry_run:
                    self.access.execute(forms.setPublishSettings(formId=form_id, body={
                        "publishSettings": {"publishState": {"isPublished": True, "isAcceptingResponses": True}},
                        "updateMask": "publishState"}), "publishing the answer form", write=True)
            elif unpublished:
                out.notes.append(f"The form {form_id} is not published: it takes no answers until you publish it "
                                 f"(Publish, in the form's editor).")
            if out.done:
                form = self.access.execute(forms.get(formId=form_id), f"the referral answer form {form_id}")
        except HttpError as exc:
            raise StopRun(f"Google Forms refused the referral answer form{f' {form_id}' if form_id else ''} "
                          f"({http_error_text(exc)}).") from None
        out.url = form.get("responderUri", f"https://docs.google.com/forms/d/{form_id}/viewform")
        out.linked_sheet = form.get("linkedSheetId", "")
        if lacking and dry_run:
            return out
        ids = question_ids(form, known, f"referral answer form {form_id}")
        out.entries = {role: prefill_entry(qid) for role, qid in ids.items()}
        if not dry_run:
            self.record.save({**(kept if kept.get("form_id") == form_id else {}), "form_id": form_id,
                              "made": ours, "url": out.url, "questions": ids})
        return out
