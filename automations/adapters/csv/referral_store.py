"""`CsvReferralStore`: the referral inquiries as a CSV file staff fill (`referral_inquiries.csv`), and
`CsvAnswerSource`: the referral answer form's responses as their CSV download (`referral_answers.csv`).

Staff write Organization, Contact name, Contact email, Country, Region, Language, Need, Details and
(optionally) Summary for ambassadors; the job adds and writes only its own columns (Inquiry ID,
Referral status, Current candidate, Offered at, Recommended ambassador, Referral history), on rows
whose values change, safe for spreadsheets (`safe_cells`) and read back as they were. The answers
file is only read.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ...domain.model import Problem
from ...domain.referrals import (
    ANSWER_COLUMNS,
    JOB_COLUMNS,
    PEOPLE_COLUMNS,
    Answer,
    Inquiry,
    answers_from_rows,
    inquiries_from_rows,
    job_cells,
    row_key,
)
from ...domain.values import TimestampParser, norm_header
from ...ports import Written
from ..files.atomic import atomic_write
from .safe_cells import unescape
from .tables import read_csv, update_rows


class CsvReferralStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.where = str(self.path)
        self.source = self.path.name  # what its problems name

    def create(self, dry_run: bool = False) -> bool:
        """`init`: the file with its header row, for staff to fill (False: it is there already)."""
        if self.path.exists():
            return False
        if not dry_run:
            atomic_write(self.path, ",".join([*PEOPLE_COLUMNS, *JOB_COLUMNS]) + "\n")
        return True

    def read(self) -> tuple[list[Inquiry], list[Problem]]:
        if not self.path.exists():
            return [], []
        headers, rows = read_csv(self.path, "referral inquiries")
        own = {norm_header(t) for t in JOB_COLUMNS}
        for i in [i for i, h in enumerate(headers) if norm_header(h) in own]:
            for row in rows:
                if i < len(row):
                    row[i] = unescape(row[i])
        return inquiries_from_rows(headers, rows, self.path.name)

    def record(self, inquiries: Sequence[Inquiry], dry_run: bool = False) -> Written:
        if not inquiries:
            return Written(unit="row", where=self.where)
        cells = {i.id: job_cells(i) for i in inquiries}

        def key(row: list[str], col: dict[str, int]) -> str:
            def get(title: str) -> str:
                i = col.get(norm_header(title))
                return row[i] if i is not None and i < len(row) else ""
            return row_key(get) if any(c.strip() for c in row) else ""

        return Written(updated=update_rows(self.path, key, cells, list(JOB_COLUMNS), dry_run=dry_run), unit="row",
                       where=self.where)


class CsvAnswerSource:
    def __init__(self, path: Path, parse_time: TimestampParser):
        self.path = Path(path)
        self.where = str(self.path)
        self.source = self.path.name
        self.parse_time = parse_time

    def create(self, dry_run: bool = False) -> bool:
        """`init`: the file with the answer form's header row (False: it is there already). The form's own
        download replaces it."""
        if self.path.exists():
            return False
        if not dry_run:
            atomic_write(self.path, ",".join(ANSWER_COLUMNS) + "\n")
        return True

    def read(self) -> tuple[list[Answer], list[Problem]]:
        if not self.path.exists():
            return [], []
        headers, rows = read_csv(self.path, "referral answers")
        return answers_from_rows(headers, rows, self.parse_time, self.path.name)
