"""The quarterly rule: which activities count, each quarter's verdict, standing, streak, perks.

Everything here is a pure function of the roster, the activities and `as_of` (the run's
"today"). Two runs over the same input on the same `as_of` reach the same verdicts.

Decisions the program rules leave open, made here once:
- Copies of one activity (same ambassador, kind, title and date) are resolved among the
  copies that arrived inside the activity's quarter window and on or before `as_of`: the latest
  wins; an identical earlier copy is a `duplicate`, a differing one is `superseded`. A copy that
  arrived after the window is `late` and changes nothing.
- A response that arrives after `as_of` does not exist yet for that run (replays are exact).
- Status changes have dates (the roster's "Status history", `status_spans`): before the first
  recorded change an ambassador was `active` (the start date begins the membership as active);
  each change holds from its date until the next; the Status column is the status from the last
  recorded change on (it wins over a last entry that disagrees, which the roster reports as a
  problem). With no history the Status column holds for all time. An unreadable history is
  reported and ignored (the Status column for all time).
- A quarter follows the statuses the ambassador had in it: `exempt` when they were paused,
  alumni or removed on more than half of the quarter's days they were an ambassador (from the
  start date on); otherwise it is judged as an active quarter (exactly half: judged). So pausing
  someone today, with its date, never rewrites their past quarters.
- The standing shown for someone paused, alumni or removed *today* is that status, whatever
  their quarters were; perks are only for ambassadors active today, and only they get mail.
- The start date is the start of the current membership: someone who rejoins gets a new start
  date from staff, and quarters before it are not evaluated.
- Only final quarters move standing and streak. A quarter met while its window is still open
  shows `met`, but a later correction could still replace a full report with a less complete
  one, so the standing and streak shown with it are those of the quarters before it.

The package: `copies` (the verdict and standing words, `Rules`, and which copy of an activity counts),
`verdicts` (each quarter's verdict, the status history, absences, the record over the quarters, perks) and
`tracking` (every ambassador's track and standing, as the jobs and the report read them).
"""

from .copies import (
                     CONFERENCE_FUNDING,
                     CURRENT,
                     DUPLICATE,
                     EXEMPT,
                     FREE_EVENT_ACCESS,
                     LATE,
                     MET,
                     MISSED,
                     PENDING,
                     SUPERSEDED,
                     UNDER_REVIEW,
                     WARNED,
                     Resolved,
                     Rules,
                     activity_quarter,
                     is_full,
                     missing_fields,
                     received_on,
                     resolve_copies,
                     resolve_fields,
                     resolve_rows,
)
from .tracking import Standing, Track, evaluate, standings, tracks
from .verdicts import Record, anniversary, history, history_of, late_joiner_exempt, perks, status_on

__all__ = [
    "CONFERENCE_FUNDING", "CURRENT", "DUPLICATE", "EXEMPT", "FREE_EVENT_ACCESS", "LATE", "MET", "MISSED",
    "PENDING", "SUPERSEDED", "UNDER_REVIEW", "WARNED", "Record", "Resolved", "Rules", "Standing", "Track",
    "activity_quarter", "anniversary", "evaluate", "history", "history_of", "is_full", "late_joiner_exempt",
    "missing_fields", "perks", "received_on", "resolve_copies", "resolve_fields", "resolve_rows", "standings", "status_on", "tracks",
]
