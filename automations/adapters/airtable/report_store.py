"""`AirtableReportStore`: the activities, check-ins and data problems as three Airtable tables.

Each record carries its idempotency key in the table's primary `Key` field. A save reads each
table once (pages of 100, only the project's fields), compares, and then writes only what
differs: upserts on `Key` for new and changed records, deletes for records whose key is gone
(and for a second record holding the same key). The table is its own ledger: after a crash
between two batches, the next save reads what landed and writes the rest, never a record twice.

Only the program's own records are read, rewritten or deleted: those whose Key has the shape the
program gives it (`domain.ownership`). A record a person added (no key, or a key of their own) is
left as it is, and `untouched()` names it for the job's output.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from ...domain import ownership
from ...domain.compliance import Resolved
from ...domain.model import Activity, Checkin, Problem
from ...domain.ownership import program_key
from ...domain.problems import STAFF, ProblemRecord, read_status, unknown_status
from ...errors import InputError
from ...ports import StoredReports, Written
from .client import AirtableClient, present, same
from .schema import TableSpec


def utc_text(moment: datetime) -> str:
    """A timestamp as Airtable returns a dateTime cell: UTC, milliseconds, 'Z'."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def from_utc_text(text: str, tz: ZoneInfo) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(tz)


def activity_key(a: Activity) -> str:
    """One copy of one activity: its identity, and where that copy was written (`ownership.activity_key`)."""
    return ownership.activity_key(a.id, a.row, a.section)


def checkin_key(c: Checkin) -> str:
    return ownership.checkin_key(c.row, c.email)


def _day(text) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None


def _number(value) -> int | None:
    return None if value is None or value == "" else int(value)


class AirtableReportStore:
    def __init__(self, client: AirtableClient, activities: TableSpec, checkins: TableSpec, problems: TableSpec,
                 tz: ZoneInfo):
        self.client = client
        self.tables = {"activities": activities, "checkins": checkins, "problems": problems}
        self.tz = tz
        self._loaded: StoredReports | None = None
        self._problems: list[ProblemRecord] | None = None
        self._raw: dict[str, list[dict]] = {}
        self._foreign: dict[str, list[dict]] = {}  # by role: the records the program did not make, as last read
        self.where = f"Airtable tables {activities.name}, {checkins.name} and {problems.name}"
        # Read on every run: only their changes are asked for. Activities and check-ins are the program's own; in Data
        # problems, the Status is staff's decision.
        client.mirror(activities.name)
        client.mirror(checkins.name)
        client.mirror(problems.name, [problems.name_of("status")])
        self.problems_where = f"Airtable table {problems.name}"

    def exists(self) -> bool:
        """Whether sync-checkins has stored anything (a program with no check-in yet counts as not synced)."""
        stored = self.load()
        return bool(stored.activities or stored.checkins or stored.problems)

    # -- records <-> domain ------------------------------------------------------------------------
    def _activity_fields(self, r: Resolved) -> dict:
        a, n = r.activity, self.tables["activities"].name_of
        return {
            n("key"): activity_key(a), n("activity_id"): a.id, n("email"): a.email, n("kind"): a.kind,
            n("title"): a.title, n("date"): a.date.isoformat(), n("received"): utc_text(a.received_at),
            n("row"): a.row, n("section"): a.section, n("reported_quarter"): a.reported_quarter,
            n("resolution"): r.resolution, n("winner_row"): r.winner_row or None, n("link"): a.link, n("goal"): a.goal,
            n("audience"): a.audience, n("description"): a.description, n("registrations"): a.registrations,
            n("attendees"): a.attendees, n("views"): a.views, n("engagements"): a.engagements,
            n("reshares"): a.reshares,
            n("hours"): None if a.hours is None else round(a.hours, 2),  # the field keeps two decimals
        }

    def _activity(self, f: dict) -> Activity:
        n = self.tables["activities"].name_of
        hours = f.get(n("hours"))
        return Activity(
            f[n("activity_id")], f[n("email")], f[n("kind")], f.get(n("title"), ""), date.fromisoformat(f[n("date")]),
            from_utc_text(f[n("received")], self.tz), int(f[n("row")]), int(f[n("section")]),
            f.get(n("reported_quarter"), ""), f.get(n("link"), ""), f.get(n("goal"), ""), f.get(n("audience"), ""),
            f.get(n("description"), ""), _number(f.get(n("registrations"))), _number(f.get(n("attendees"))),
            _number(f.get(n("views"))), _number(f.get(n("engagements"))), _number(f.get(n("reshares"))),
            None if hours is None else float(hours),
        )

    def _checkin_fields(self, c: Checkin) -> dict:
        n = self.tables["checkins"].name_of
        return {n("key"): checkin_key(c), n("email"): c.email, n("received"): utc_text(c.received_at),
                n("row"): c.row, n("reported_quarter"): c.reported_quarter, n("activities"): c.activities}

    def _checkin(self, f: dict) -> Checkin:
        n = self.tables["checkins"].name_of
        return Checkin(f[n("email")], from_utc_text(f[n("received")], self.tz), int(f[n("row")]),
                       f.get(n("reported_quarter"), ""), int(f.get(n("activities"), 0)))

    def _problem_fields(self, r: ProblemRecord) -> dict:
        n, p = self.tables["problems"].name_of, r.problem
        return {n("key"): r.id, n("status"): r.status, n("first_seen"): r.first_seen and r.first_seen.isoformat(),
                n("closed"): r.closed and r.closed.isoformat(), n("email"): r.owner, n("source"): p.source,
                n("row"): p.row, n("column"): p.column, n("value"): p.value, n("problem"): p.reason}

    def _problem(self, f: dict) -> ProblemRecord:
        n = self.tables["problems"].name_of
        owner = (f.get(n("email")) or "").strip() or STAFF
        p = Problem(f.get(n("source"), ""), int(f.get(n("row")) or 0), f.get(n("column"), ""), f.get(n("value"), ""),
                    f.get(n("problem"), ""), "" if owner == STAFF else owner)
        status = f.get(n("status")) or ""
        status = status if isinstance(status, str) else str(status)
        return ProblemRecord(p, read_status(status), _day(f.get(n("first_seen"))),
                             _day(f.get(n("closed"))), owner, str(f.get(n("key")) or "").strip(), unknown_status(status))

    # -- the port ----------------------------------------------------------------------------------
    def _records(self, role: str) -> list[dict]:
        """Every record of a table, read once per run until this store writes to it (a load and the save
        after it share one read)."""
        if role not in self._raw:
            spec = self.tables[role]
            self._raw[role] = self.client.all_records(spec.name, [f.name for f in spec.fields])
            self._foreign[role] = [r for r in self._raw[role] if not program_key(role, r["fields"].get(spec.key))]
        return self._raw[role]

    def _read(self, role: str) -> list[dict]:
        """The program's records of a table (a record a person added is not read)."""
        spec = self.tables[role]
        return [r for r in self._records(role) if program_key(role, r["fields"].get(spec.key))]

    def untouched(self) -> list[str]:
        """One sentence per table that holds records the program did not make. A save reads the tables anyway;
        one this run has not read yet (a dry run with nothing new) is read now."""
        out = []
        for role in self.tables:
            if role not in self._foreign:
                self._records(role)
            records = self._foreign[role]
            if records:
                n = len(records)
                out.append(f"Airtable table {self.tables[role].name}: {n} record{'s' if n != 1 else ''} the program "
                           f"did not make (no key of its own) left untouched; `doctor` names "
                           f"{'them' if n != 1 else 'it'}.")
        return out

    def _parse(self, role: str, parse) -> list:
        out = []
        for r in self._read(role):
            try:
                out.append(parse(r["fields"]))
            except (KeyError, ValueError, TypeError) as exc:
                what = f"no {exc.args[0]}" if isinstance(exc, KeyError) else str(exc)
                raise InputError(f"Airtable table {self.tables[role].name}, record {r['id']} "
                                 f"({r['fields'].get(self.tables[role].key)}) cannot be read ({what}); the table is "
                                 f"rebuilt by sync-checkins, so delete the record and run sync-checkins again.") from None
        return out

    def load(self) -> StoredReports:
        """Everything stored, read once per run, sorted as sync-checkins wrote it (sheet order)."""
        if self._loaded is None:
            acts = sorted(self._parse("activities", self._activity), key=lambda a: (a.row, a.section))
            checkins = sorted(self._parse("checkins", self._checkin), key=lambda c: c.row)
            self._loaded = StoredReports(acts, checkins, self.load_problems())
        return StoredReports(list(self._loaded.activities), list(self._loaded.checkins), list(self._loaded.problems))

    def load_problems(self) -> list[ProblemRecord]:
        if self._problems is None:
            self._problems = sorted(self._parse("problems", self._problem),
                                    key=lambda r: (r.problem.source, r.problem.row, r.problem.column))
        return list(self._problems)

    def save(self, resolved: Sequence[Resolved], checkins: Sequence[Checkin], dry_run: bool = False) -> Written:
        if not dry_run:
            self._loaded = None
        return (self._mirror("activities", [self._activity_fields(r) for r in resolved], dry_run)
                + self._mirror("checkins", [self._checkin_fields(c) for c in checkins], dry_run))

    def append(self, resolved: Sequence[Resolved], checkins: Sequence[Checkin]) -> Written | None:
        """Never: whether the tables still hold what the last save wrote (another base, a person's edit) is
        known only by reading them, which is what a full save does anyway (and it writes only what differs)."""
        return None

    def save_problems(self, records: Sequence[ProblemRecord], dry_run: bool = False) -> Written:
        written = self._mirror("problems", [self._problem_fields(r) for r in records], dry_run)
        if not dry_run:  # the table now holds exactly these: the next job of the run need not read it again
            self._loaded = None
            self._problems = sorted(records, key=lambda r: (r.problem.source, r.problem.row, r.problem.column))
        return written

    def _mirror(self, role: str, wanted: list[dict], dry_run: bool = False) -> Written:
        """Make the program's records of the table exactly `wanted` (keyed by the Key field), writing only
        differences; a record the program did not make is left as it is. With `dry_run`, the table is read
        and compared, and no write request is made."""
        spec = self.tables[role]
        names = [f.name for f in spec.fields]
        key = spec.key
        want = {w[key]: w for w in wanted}
        by_key: dict[str, dict] = {}
        extra_ids: list[str] = []
        for record in self._records(role):
            k = record["fields"].get(key)
            if not (program_key(role, k) or (isinstance(k, str) and k in want)):
                continue  # not the program's record (a person's): never rewritten, never deleted
            if k in by_key:
                extra_ids.append(record["id"])  # a second record holding one of the program's keys
            else:
                by_key[k] = record
        stale = [r["id"] for k, r in by_key.items() if k not in want]
        changed = [{n: (v if present(v) else None) for n, v in w.items()} for k, w in want.items()
                   if k not in by_key or not same(by_key[k]["fields"], w, names)]
        created = sum(1 for w in changed if w[key] not in by_key)
        written = Written(created, len(changed) - created, len(extra_ids) + len(stale),
                          where=f"Airtable table {spec.name}")
        if dry_run:
            return written
        # A second record with a key goes first (an upsert matching two records is refused); records
        # no longer wanted go last, so a run stopped part-way never leaves a record missing.
        if written.changed:
            self._raw.pop(role, None)  # read again if asked: it has changed
        self.client.delete(spec.name, extra_ids)
        self.client.upsert(spec.name, changed, key)
        self.client.delete(spec.name, stale)
        return written
