"""Staff's inquiry rows and the answer form's responses into `Inquiry`s and `Answer`s, and the job's own columns
written back."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ...errors import InputError
from ..model import Problem
from ..referrals.inquiries import NEEDS, Answer, Inquiry, format_history, inquiry_id, parse_history, parse_need
from ..values import TimestampParser, clean_text, looks_like_address, norm_header, normalize_email, titled_rows

#: The staff-filled columns of the inquiries table, and the job's own.
PEOPLE_COLUMNS = ("Organization", "Contact name", "Contact email", "Country", "Region", "Language", "Need",
                  "Details", "Summary for ambassadors")
JOB_COLUMNS = ("Inquiry ID", "Referral status", "Current candidate", "Offered at", "Recommended ambassador",
               "Referral history")
#: The answer form's columns (a Google Form's response sheet: Timestamp first, then the email when the form
#: collects it, then its questions), and the answer question's choices (pre-filled by the offer's links).
ANSWER_COLUMNS = ("Timestamp", "Offer code", "Answer", "Email Address")
TIMESTAMP, CODE_QUESTION, ANSWER_QUESTION, EMAIL = ANSWER_COLUMNS
ANSWER_CHOICES = ("Yes", "No")


def row_key(get: Callable[[str], str]) -> str:
    """The inquiry id of a row, `get(title)` giving its cells: the job's Inquiry ID once written, else the one
    its fields give (so the id stays when staff correct a field later)."""
    own = get("Inquiry ID").strip()
    if own:
        return own
    return inquiry_id(get("Organization"), get("Contact email"), parse_need(get("Need")) or "", get("Details"))


def inquiries_from_rows(headers: Sequence[str], rows: Sequence[Sequence[str]], source: str
                        ) -> tuple[list[Inquiry], list[Problem]]:
    """The usable inquiries of a table of text cells; each unusable row is a Problem naming the cell."""
    out: list[Inquiry] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for row_no, get in titled_rows(headers, rows):

        # This row's number and getter are bound now (a closure would see the loop's latest).
        def bad(title: str, reason: str, *, row_no: int = row_no, get: Callable[[str], str] = get) -> None:
            problems.append(Problem(source, row_no, title, get(title), reason))

        need = parse_need(get("Need"))
        if need is None:
            bad("Need", f"is not one of {', '.join(NEEDS.values())}; the inquiry waits until it is")
            continue
        if not (get("Country").strip() or get("Region").strip() or get("Language").strip()):
            bad("Country", "is empty, and so are Region and Language: nothing to match ambassadors on; the "
                           "inquiry waits until one is filled")
            continue
        email = normalize_email(get("Contact email"))
        if email and not looks_like_address(email):
            bad("Contact email", "is not an email address; the inquiry waits until it is")
            continue
        iid = row_key(get)
        if iid in seen:
            bad("Organization", f"repeats the inquiry on row {seen[iid]} (same organization, contact, need and "
                                f"details); this row was skipped")
            continue
        seen[iid] = row_no
        out.append(Inquiry(iid, row_no, clean_text(get("Organization")), clean_text(get("Contact name")),
                           email, clean_text(get("Country")), clean_text(get("Region")),
                           clean_text(get("Language")), need, get("Details").strip(),
                           clean_text(get("Summary for ambassadors")),
                           parse_history(get("Referral history"))))
    return out, problems


def job_cells(i: Inquiry) -> dict[str, str]:
    """The job's own columns of an inquiry, as text."""
    return {"Inquiry ID": i.id, "Referral status": i.status, "Current candidate": i.current,
            "Offered at": i.offered_on.isoformat() if i.offered_on else "",
            "Recommended ambassador": i.recommended, "Referral history": format_history(i.history)}


def answers_from_rows(headers: Sequence[str], rows: Sequence[Sequence[str]], parse_time: TimestampParser,
                      source: str) -> tuple[list[Answer], list[Problem]]:
    """The answer form's responses: offer code, yes or no, when, and from whom (if the form collects it)."""
    out: list[Answer] = []
    problems: list[Problem] = []
    rows = list(rows)
    titles = {norm_header(h) for h in headers}
    missing = [t for t in (TIMESTAMP, CODE_QUESTION, ANSWER_QUESTION) if norm_header(t) not in titles]
    if missing and (headers or rows):
        # A renamed question or another form's file: every answer would be a problem, or none would count.
        raise InputError(f"The referral answers in {source} have no column {', '.join(repr(t) for t in missing)} "
                         f"(the answer form's questions are {CODE_QUESTION!r} and {ANSWER_QUESTION!r}, after the "
                         f"Timestamp): nothing was read; restore the question's title on the form.")
    parse_time.settle(get("Timestamp") for _, get in titled_rows(headers, rows))  # one order for the column
    for row_no, get in titled_rows(headers, rows):
        code = get("Offer code").strip().upper()
        word = get("Answer").strip().casefold()
        yes = True if word.startswith("yes") else False if word.startswith("no") else None
        if yes is None:
            problems.append(Problem(source, row_no, "Answer", get("Answer"), "is neither yes nor no; the "
                                    "answer was not used"))
            continue
        try:
            on = parse_time(get("Timestamp")).date()
        except ValueError as exc:
            problems.append(Problem(source, row_no, "Timestamp", get("Timestamp"), f"{exc}; the answer was "
                                    f"not used"))
            continue
        out.append(Answer(code, yes, on, normalize_email(get("Email Address")), row_no))
    return out, problems
