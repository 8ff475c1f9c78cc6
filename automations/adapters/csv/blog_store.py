"""`CsvBlogStore`: the blog proposals as a CSV file staff and ambassadors fill (`blog_proposals.csv`).

People write Title, Author email, Summary, Reviewers, Stage, Published URL and Published on; the
job adds and writes only Document and Stage history, on rows whose values change. Those two are
written safe for spreadsheets (`safe_cells`) and read back as they were; people's cells are read as
they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ...domain.blog import Proposal, format_history, proposal_key
from ...domain.model import Problem
from ...domain.rows.blog import JOB_COLUMNS, proposals_from_rows
from ...domain.values import clean_text, norm_header
from ...ports import BlogUpdate, Written
from .safe_cells import unescape
from .tables import read_csv, update_rows


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
