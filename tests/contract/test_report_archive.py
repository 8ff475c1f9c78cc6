"""The ReportArchive contract (`ports.ReportArchive`): the quarterly reports' files, each replaced whole and only
when its bytes differ, dry runs writing nothing. Adapter: `FileReportArchive` (a folder per quarter)."""

from __future__ import annotations

import pytest

from automations.adapters.files.report_archive import FileReportArchive

FILES = {"report.html": "<h1>Q3 — São Paulo</h1>".encode(), "report.pdf": b"%PDF-1.7\n...", "newsletter.md": b"# Q3\n"}


class ReportArchiveContract:
    """A subclass gives `make` (an archive over one storage) and `stored(quarter)`: the files it holds there, by
    name, with their bytes (read without the port)."""

    @pytest.fixture
    def make(self):
        raise NotImplementedError

    @pytest.fixture
    def stored(self):
        raise NotImplementedError

    def test_files_are_kept_by_quarter(self, make, stored):
        written = make().write("2026Q3", FILES)
        assert stored("2026Q3") == FILES and stored("2026Q2") == {}
        assert (written.created, written.updated, written.deleted) == (3, 0, 0)

    def test_a_rerun_with_the_same_bytes_writes_nothing(self, make, stored):
        make().write("2026Q3", FILES)
        again = make().write("2026Q3", FILES)
        assert again.changed == 0 and stored("2026Q3") == FILES

    def test_only_a_changed_file_is_rewritten(self, make, stored):
        make().write("2026Q3", FILES)
        written = make().write("2026Q3", {**FILES, "newsletter.md": b"# Q3, corrected\n"})
        assert (written.created, written.updated) == (0, 1)
        assert stored("2026Q3")["newsletter.md"] == b"# Q3, corrected\n"
        assert [p.where for p in written.parts if p.changed] and all("newsletter.md" in p.where
                                                                     for p in written.parts if p.changed)

    def test_a_dry_run_writes_nothing_and_says_what_would_change(self, make, stored):
        make().write("2026Q3", {"report.html": FILES["report.html"]})
        dry = make().write("2026Q3", FILES, dry_run=True)
        assert stored("2026Q3") == {"report.html": FILES["report.html"]}
        assert (dry.created, dry.updated) == (2, 0)
        assert dry == make().write("2026Q3", FILES)

    def test_it_names_where_it_keeps_them(self, make):
        assert make().where


class TestFileReportArchive(ReportArchiveContract):
    @pytest.fixture
    def make(self, tmp_path):
        return lambda: FileReportArchive(tmp_path / "reports")

    @pytest.fixture
    def stored(self, tmp_path):
        def files(quarter):
            folder = tmp_path / "reports" / quarter
            return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} if folder.exists() else {}

        return files

    def test_a_note_staff_keep_beside_the_report_stays(self, make, tmp_path):
        (tmp_path / "reports" / "2026Q3").mkdir(parents=True)
        (tmp_path / "reports" / "2026Q3" / "notes.txt").write_text("ours")
        make().write("2026Q3", FILES)
        assert (tmp_path / "reports" / "2026Q3" / "notes.txt").read_text() == "ours"
