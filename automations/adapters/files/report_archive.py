"""`FileReportArchive`: the quarterly reports as files, one folder per quarter (`reports/2026Q3/`).

Each file is replaced atomically (`atomic_files.atomic_write`: a reader sees the old report or the
new one, never half of either) and only when its bytes differ, so a rerun leaves every file and its
time alone. Nothing else in the folder is touched: a note staff keep beside the report stays.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ...ports import Written
from .atomic import atomic_write


class FileReportArchive:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.where = str(self.folder)

    def path(self, quarter: str, filename: str) -> Path:
        return self.folder / quarter / filename

    def write(self, quarter: str, files: Mapping[str, bytes], dry_run: bool = False) -> Written:
        total = Written(unit="file", where=self.where)
        for filename, data in files.items():
            path = self.path(quarter, filename)
            existed = path.exists()
            changed = atomic_write(path, data, dry_run=dry_run)
            part = Written(created=int(changed and not existed), updated=int(changed and existed), unit="file",
                           where=str(path))
            total = total + part
        return total
