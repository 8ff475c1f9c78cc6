"""The PersonalFiles contract (`ports.PersonalFiles`): the files the jobs made about people (the outbox's messages,
the review documents), found by a person's address or names, listed by age, and removed with what belongs to them.
Adapter: `LocalPersonalFiles` (the outbox folder the `OutboxMailer` writes, the drafts folder)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from automations.adapters.outbox import OutboxMailer
from automations.domain.messages import PlannedMessage
from automations.mail.message import Rendered, Sender, compose

SENDER = Sender("ambassadors@example.org", "Ambassador Program", "support@example.org")
TODAY = date(2026, 11, 23)


def send(outbox: Path, day: str, key: str, email: str, name: str) -> None:
    planned = PlannedMessage(key=key, job="checkin_invite", to_email=email, to_name=name)
    rendered = Rendered(planned, "Your check-in", f"Hello {name}", f"<p>Hello {name}</p>")
    with OutboxMailer(outbox, day) as mailer:
        mailer.send(compose(rendered, SENDER, datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)))


def _names(files) -> set[str]:
    return {Path(f.path).name for f in files}


def _messages(files, address: str) -> list[str]:
    return [n for n in _names(files) if n.endswith(".eml") and address in n]


@dataclass
class Harness:
    make: Callable[[], object]
    present: Callable[[], set[str]]  # every file the store's folders hold (names), read without the port


class PersonalFilesContract:
    """A subclass gives `harness` over: a message to Ana (old), one to Bo (old), one to Ana (recent) and a review
    document naming Ana Lima (not her address)."""

    @pytest.fixture
    def harness(self):
        raise NotImplementedError

    def test_a_persons_files_are_found_by_address_and_names(self, harness):
        """Their two messages and the document naming them (a list naming everyone, such as the outbox's index,
        may come too); nothing that is only someone else's."""
        files = harness.make().find("ANA@example.org", ["Ana Lima"])
        assert all(f.path and f.what for f in files)
        assert len(_messages(files, "ana@")) == 2 and "blog-1.html" in _names(files)
        assert not _messages(files, "bo@") and "blog-2.html" not in _names(files)

    def test_without_their_names_a_document_naming_them_is_not_theirs(self, harness):
        files = harness.make().find("ana@example.org")
        assert len(_messages(files, "ana@")) == 2 and "blog-1.html" not in _names(files)

    def test_no_one_else_is_found(self, harness):
        assert harness.make().find("nobody@example.org", ["Nobody Here"]) == []

    def test_older_than_lists_only_old_files(self, harness):
        old = harness.make().older_than(30, TODAY)
        assert len(old) == 2 and all(f.path for f in old)
        assert harness.make().older_than(365, TODAY) == []

    def test_remove_deletes_them_and_leaves_the_rest(self, harness):
        store = harness.make()
        files = store.find("ana@example.org", ["Ana Lima"])
        written = store.remove(files)
        assert written.deleted >= 3
        assert harness.make().find("ana@example.org", ["Ana Lima"]) == []
        assert len(_messages(harness.make().find("bo@example.org"), "bo@")) == 1

    def test_a_dry_run_removes_nothing(self, harness):
        store = harness.make()
        files = store.find("ana@example.org", ["Ana Lima"])
        before = harness.present()
        dry = store.remove(files, dry_run=True)
        assert harness.present() == before
        assert dry == harness.make().remove(files)


class TestLocalPersonalFiles(PersonalFilesContract):
    @pytest.fixture
    def harness(self, tmp_path):
        from automations.adapters.files.personal_files import LocalPersonalFiles

        outbox, drafts = tmp_path / "outbox", tmp_path / "drafts"
        send(outbox, "2026-09-01", "checkin_invite:2026Q3:ana@example.org", "ana@example.org", "Ana Lima")
        send(outbox, "2026-09-01", "checkin_invite:2026Q3:bo@example.org", "bo@example.org", "Bo Silva")
        send(outbox, "2026-11-20", "checkin_reminder:2026Q4:ana@example.org", "ana@example.org", "Ana Lima")
        drafts.mkdir()
        (drafts / "blog-1.html").write_text("<p>Review of a post by Ana Lima</p>", encoding="utf-8")
        (drafts / "blog-2.html").write_text("<p>Review of a post by Bo Silva</p>", encoding="utf-8")
        return Harness(lambda: LocalPersonalFiles(outbox, drafts),
                       lambda: {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()})

    def test_a_messages_preview_goes_with_it(self, harness, tmp_path):
        """What the outbox writes beside a message (its preview) goes with it; the index is written again."""
        store = harness.make()
        store.remove(store.find("ana@example.org"))
        left = harness.present()
        assert not [p for p in left if "ana@example.org" in p]
        assert any("bo@example.org" in p for p in left)
