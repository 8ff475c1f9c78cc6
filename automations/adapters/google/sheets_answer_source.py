"""`SheetsAnswerSource`: the referral answer form's responses from its linked response sheet (gspread).

Read live on every run, so nobody downloads anything. The response tab is found and read as every form's is
(`sheets_tabs.read_tab`, two requests): `referrals.answers_sheet_tab` when set (its case and spacing ignored),
else the form's own (`Form responses 1`; after a relink, the newest `Form Responses N` with the answer form's
questions, so a check-in form linked to the same spreadsheet is left alone); a configured tab with a newer
one of the answer form's beside it stops the run, naming both and the key. Cells become the text the form's
CSV download holds, as the check-in sheet's do (`sheets_checkin_source.cell_text`): the Timestamp's serial
number is wall-clock time in the spreadsheet's zone, written as ISO text in the zone the answers are read in,
and a timestamp typed as text is read in the order the spreadsheet's locale writes. Google writes the
timestamp in the first column and titles it in the spreadsheet's language (`Carimbo de data/hora`), so the
first column is the Timestamp whatever its title. The rows then go through the same reading as the download
(`domain.referrals.answers_from_rows`), numbered as the sheet numbers them.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from ...domain.model import Problem
from ...domain.referrals import ANSWER_COLUMNS, ANSWER_QUESTION, CODE_QUESTION, TIMESTAMP, Answer, answers_from_rows
from ...domain.values import TimestampParser, norm_header
from ...errors import InputError
from .access import GoogleAccess
from .sheets_checkin_source import cell_text
from .sheets_tabs import DEFAULT_TAB, ResponseTab, read_tab

KEY = "referrals.answers_sheet_tab"


def fits(header: Sequence[object]) -> bool:
    """Whether a header row is the answer form's: its offer code and answer questions (the timestamp's title is
    in the spreadsheet's language)."""
    titles = {norm_header(cell_text(h, False, False)) for h in header}
    return {norm_header(t) for t in (CODE_QUESTION, ANSWER_QUESTION)} <= titles


class SheetsAnswerSource:
    def __init__(self, access: GoogleAccess, spreadsheet_id: str, tab: str, parse_time: TimestampParser,
                 read_tz: ZoneInfo, source: str):
        self.access = access
        self.spreadsheet_id = spreadsheet_id
        self.tab = tab  # as configured; empty: the form's responses tab, found by its name
        self.parse_time = parse_time
        self.read_tz = read_tz
        # Until a read finds the tab, the source goes by the configured tab, else Google's first name for it.
        self.where = f"Google Sheet {spreadsheet_id}, tab '{tab or DEFAULT_TAB}'"
        self.source = source  # what its problems name: the same for every answer source (see bootstrap)

    def read(self) -> tuple[list[Answer], list[Problem]]:
        tab = read_tab(self.access, self.spreadsheet_id, self.tab,
                       ResponseTab("the answer form", "referrals.answers_spreadsheet_id", KEY, fits))
        self.where = tab.where
        if not tab.values:  # a sheet linked to a form has its header row from the start
            raise InputError(f"The {self.where} is empty: it needs at least the answer form's header row (is it "
                             f"the form's linked response sheet?).")
        headers = [cell_text(h, False, False) for h in tab.values[0]]
        questions = {norm_header(t) for t in ANSWER_COLUMNS[1:]}
        if headers and norm_header(headers[0]) not in questions:
            headers[0] = TIMESTAMP
        width = len(headers)
        rows = []
        for raw in tab.values[1:]:
            cells = list(raw) + [""] * (width - len(raw))
            rows.append([cell_text(v, False, i == 0, tab.time_zone, self.read_tz, tab.order)
                         for i, v in enumerate(cells)])
        return answers_from_rows(headers, rows, self.parse_time, self.source)
