"""`CsvCheckinSource`: the check-in responses as a CSV download of the form's response sheet.

The file is a person's (or Google's) and is never written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from .csv_tables import stream_csv


class CsvCheckinSource:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.where = str(self.path)

    def read(self) -> tuple[list[str], Iterator[list[str]]]:
        return stream_csv(self.path, "check-in responses")
