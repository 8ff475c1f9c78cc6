"""Discovery ports: where found activities are kept (`FoundStore`) and what reads the sources ambassadors
declared (`SourceReader`: their feeds over HTTP, their forum posts through the forum's API)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from ..domain.discovery import Fetched, FoundActivity, Memo
from .results import Written


class FoundStore(Protocol):
    """The found activities (a CSV file in the local folder, an Airtable table `init` makes): the program's own."""

    where: str

    def read(self) -> list[FoundActivity]:
        """Every found activity stored."""

    def add(self, found: Sequence[FoundActivity], dry_run: bool = False) -> Written:
        """Store these found activities after those stored; one whose key is stored already is left as it is (so
        a run repeated after a crash adds nothing twice). With `dry_run`, write nothing and return what the
        real call would."""


    def forget_before(self, day: date, dry_run: bool = False) -> Written:
        """Delete the found activities dated before `day` (no mail lists them any more, and no source gives them
        again: `discovery.new_found` keeps nothing that old). With `dry_run`, only count them."""


class SourceReader(Protocol):
    """Reads the sources an ambassador declared, and nothing else: a source that cannot be read is an answer
    (`Fetched.error`, a sentence), never an exception, so one broken feed never stops the run."""

    def read_feed(self, url: str, memo: Memo | None) -> Fetched:
        """The entries of the RSS or Atom feed at `url` (a conditional request when `memo` holds what it answered
        last time: a 304 is `unchanged`, with nothing read)."""

    def read_forum(self, handle: str, since: date) -> Fetched:
        """The forum topics and replies of the user `handle`, newest first, back to the day `since`."""
