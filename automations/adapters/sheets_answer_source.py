"""`SheetsAnswerSource`: the referral answer form's responses from its linked response sheet (gspread).

Read live on every run, so nobody downloads anything: two requests (the spreadsheet's properties, the
response tab's values; `sheets_tabs.read_tab`). Cells become the text the form's CSV download holds, as
the check-in sheet's do (`sheets_checkin_source.cell_text`): the Timestamp's serial number is wall-clock
time in the spreadsheet's zone, written as ISO text in the zone the answers are read in, and a timestamp
typed as text is read in the order the spreadsheet's locale writes. Google writes the timestamp in the
first column and titles it in the spreadsheet's language (`Carimbo de data/hora`), so the first column
is the Timestamp whatever its title. The rows then go through the same reading as the download
(`domain.referrals.answers_from_rows`), numbered as the sheet numbers them.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from ..domain.model import Problem
from ..domain.referrals import ANSWER_COLUMNS, TIMESTAMP, Answer, answers_from_rows
from ..domain.values import TimestampParser, norm_header
from ..errors import InputError
from .google_access import GoogleAccess
from .sheets_checkin_source import cell_text
from .sheets_tabs import read_tab


class SheetsAnswerSource:
    def __init__(self, access: GoogleAccess, spreadsheet_id: str, tab: str, parse_time: TimestampParser,
                 read_tz: ZoneInfo, source: str):
        self.access = access
        self.spreadsheet_id = spreadsheet_id
        self.tab = tab
        self.parse_time = parse_time
        self.read_tz = read_tz
        self.where = f"Google Sheet {spreadsheet_id}, tab '{tab}'"
        self.source = source  # what its problems name: the same for every answer source (see bootstrap)

    def read(self) -> tuple[list[Answer], list[Problem]]:
        tab = read_tab(self.access, self.spreadsheet_id, self.tab, self.where, "referrals.answers_spreadsheet_id",
                       "referrals.answers_sheet_tab")
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
