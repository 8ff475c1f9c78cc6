"""Blog proposals: staff's and ambassadors' rows (a CSV file or the Airtable table) into `Proposal` values, each
problem a row's; and the columns the job writes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from ..blog import STAGE_LABELS, Proposal, parse_history, parse_stage, proposal_key
from ..model import Problem
from ..values import clean_text, normalize_email, parse_date, titled_rows

PEOPLE_COLUMNS = ("Title", "Author email", "Summary", "Reviewers", "Stage", "Published URL", "Published on")
JOB_COLUMNS = ("Document", "Stage history")


def proposals_from_rows(headers: list[str], rows: list[list[str]], source: str
                        ) -> tuple[list[Proposal], list[Problem]]:
    """The usable proposals of a table of text cells; each unusable row is a Problem naming the cell."""
    out: list[Proposal] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for row_no, get in titled_rows(headers, rows):

        # This row's number and getter are bound now (a closure would see the loop's latest).
        def bad(title: str, reason: str, *, row_no: int = row_no, get: Callable[[str], str] = get) -> None:
            problems.append(Problem(source, row_no, title, get(title), reason, normalize_email(get("Author email"))))

        title, author = clean_text(get("Title")), normalize_email(get("Author email"))
        if not title:
            bad("Title", "is empty: a proposal needs a title; the row was skipped")
            continue
        if "@" not in author or " " in author:
            bad("Author email", "is not an email address; the proposal was skipped")
            continue
        stage = parse_stage(get("Stage") or "proposed")
        if stage is None:
            bad("Stage", f"is not one of {', '.join(STAGE_LABELS.values())}; the proposal was skipped")
            continue
        published: date | None = None
        if get("Published on").strip():
            try:
                published = parse_date(get("Published on"), ("%Y-%m-%d", "%d/%m/%Y"))
            except ValueError as exc:
                bad("Published on", f"{exc}; the post is not counted as an activity")
        key = proposal_key(author, title)
        if key in seen:
            bad("Title", f"is already proposed by the same author on row {seen[key]}; this row was skipped")
            continue
        seen[key] = row_no
        reviewers = tuple(normalize_email(r) for r in get("Reviewers").replace(";", ",").split(",") if "@" in r)
        out.append(Proposal(key, row_no, title, author, clean_text(get("Summary")), reviewers, stage,
                            get("Published URL").strip(), published, get("Document").strip(),
                            parse_history(get("Stage history"))))
    return out, problems
