"""`CsvAdmin`: `init` and `doctor` for the local CSV folder (there is no schema to create)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ...ports import Finding


class CsvAdmin:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def check(self) -> list[Finding]:
        if not self.folder.is_dir():
            return [Finding(False, f"the local folder {self.folder} does not exist (local.dir in config.yaml).")]
        return [Finding(True, f"local folder {self.folder}: the jobs create their own CSV files there.")]

    def lacks(self, roles: Sequence[str]) -> list[str]:
        """Every table is a file the jobs create in the folder: only the folder can be missing."""
        return [] if self.folder.is_dir() else [f"the local folder {self.folder} (local.dir)"]

    def init(self, dry_run: bool) -> list[str]:
        """No schema to create: the jobs make their own files, and `init` the staff tables' files (their
        stores' `create`). Nothing to list here."""
        return []
