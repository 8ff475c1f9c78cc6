"""`CsvBlogStore`: the blog proposals as a CSV file staff and ambassadors fill (`blog_proposals.csv`).

People write Title, Author email, Summary, Reviewers, Stage, Published URL and Published on; the
job adds and writes only Document and Stage history, on rows whose values change. Those two are
written safe for spreadsheets (`safe_cells`) and read back as they were; people's cells are read as
they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

from ...domain.blog import STAGE_LABELS, Proposal, format_history, parse_history, parse_stage, proposal_key
from ...domain.model import Problem
from ...domain.values import clean_text, norm_header, normalize_email, parse_date, titled_rows
from ...ports import BlogUpdate, Written
from .safe_cells import unescape
from .tables import read_csv, update_rows

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


class CsvBlogStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.where = str(self.path)
        self.source = self.path.name  # what its problems name

    def read(self) -> tuple[list[Proposal], list[Problem]]:
        if not self.path.exists():
            return [], []
        headers, rows = read_csv(self.path, "blog proposals")
        own = {norm_header(t) for t in JOB_COLUMNS}
        for i in [i for i, h in enumerate(headers) if norm_header(h) in own]:
            for row in rows:
                if i < len(row):
                    row[i] = unescape(row[i])
        return proposals_from_rows(headers, rows, self.path.name)

    def record(self, updates: Mapping[str, BlogUpdate], dry_run: bool = False) -> Written:
        if not updates:
            return Written(unit="row", where=self.where)
        cells = {k: {"Document": u.document, "Stage history": format_history(u.history)} for k, u in updates.items()}
        title, author = norm_header("Title"), norm_header("Author email")

        def key(row: list[str], col: dict[str, int]) -> str:
            def get(t: str) -> str:
                i = col.get(t)
                return row[i] if i is not None and i < len(row) else ""
            return proposal_key(get(author), clean_text(get(title))) if get(title).strip() else ""

        return Written(updated=update_rows(self.path, key, cells, list(JOB_COLUMNS), dry_run=dry_run), unit="row",
                       where=self.where)
