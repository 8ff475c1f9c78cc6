"""Incremental sync: read only the responses not seen before, redo only the ambassadors they touch.

What a run of `sync-checkins` worked out is kept in the work cache (a port; a SQLite file in the
local folder), per ambassador: their activity copies and check-ins as plain tuples, the late
problems of their copies, a digest of everything that decides their record. The next run asks the
response source for what it has beyond the cursor it stopped at:

- nothing new (the same bytes): nothing is ingested, resolved or written;
- rows appended after the cursor (a form only ever appends): only those rows are ingested, and only
  the ambassadors they belong to are resolved again; the report store is asked to append the new
  copies (it writes everything instead when it cannot: a copy that changed resolution, a store
  someone edited);
- anything else (an earlier row edited or deleted, another file, a roster that gained or lost an
  email, another configuration or version): everything is read again, as on the first run.

A full read is lean (issue 20): every copy and check-in is packed as it is read (`codec.PackedActivities`,
`PackedCheckins`: marshalled rows end to end, about a third of the records' memory, with the day each arrived),
then each ambassador is worked out once, in turn: their copies resolved from their rows (`resolve_rows`: only
the late copies' records are built, for their problems), their digest and work-cache entry made, the entry
staged in the cache at once (`WorkCache.stage`; `remember` promotes the staged entries in the same write as the
state that claims them, so a crash before leaves the old state). How each copy resolved is kept (`FullRead`):
the store's one pass and compliance read the rows again, neither rebuilding the records: the CSV store writes
each copy's cells from its fields (`ReportStore.save`), and compliance (`tracks.judge`) reuses the
resolution and works each record out in brief from the rows (`summary.brief_history`, the brief rows of
`history_of`'s records; in full, as before, when a copy arrived after the run's date). The Airtable store
builds every record's fields to compare with the base, so it holds the program's copies while it saves.

The result is the same as a full run's, whatever path was taken: `tests/test_incremental.py` checks
it against a full run after each kind of change.

The package: `synced` (what a sync worked out, and keeping it in the work cache), `reading` (`sync`: the full
and the appended path), `tracks` (compliance's records, worked out again only for the ambassadors whose input
changed).
"""

from .reading import sync
from .synced import Synced, remember
from .tracks import details, judge, recent

__all__ = ["Synced", "details", "judge", "recent", "remember", "sync"]
