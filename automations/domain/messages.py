"""Which messages are due on a given day, to whom, with what content. Pure planning.

Every planned message carries an idempotency key built from business identity, so planning
the same day twice gives the same keys and the ledger drops what already went:

- `checkin_invite:<quarter>:<email>`: the form link, the day after the quarter ends;
- `checkin_reminder:<quarter>:<email>:d-<days>`: before the window closes, only to those who
  have not met the quarter. When several steps are due at once (a missed run), only the latest
  goes: one combined message, never several; and none on a day the ambassador checked in (the
  receipt already says what counted and what is missing);
- `checkin_receipt:<email>:<received>`: after each check-in, what was recorded;
- `standing_warned|standing_under_review|standing_restored:<quarter>:<email>` and
  `standing_under_review_staff:<quarter>:<email>:<staff>`: once a quarter is final;
- `perk_free_event_access:<email>:<quarter>` and `perk_conference_funding:<email>:<start date>`;
- `staff_digest:<ISO week>:<staff>`: once a week;
- `data_problem:<email>:r<row>:<digest of the problems' ids>`: rows of an ambassador's that could not be
  used, when no receipt could say so;
- `notices_held:<quarter>:<staff>`: standing notices held because too many would go at once;
- `welcome:<email>:<start date>` and `welcome_staff:<email>:<start date>:<staff>`: a new (or rejoining)
  active ambassador's welcome and staff's checklist (planned in `domain.welcome`).

Paused, alumni and removed ambassadors get nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from .at_risk import AtRisk, as_dict, week_of
from .calendar import Deadline, checkin_close
from .compliance import (
    CONFERENCE_FUNDING,
    EXEMPT,
    MET,
    MISSED,
    PENDING,
    UNDER_REVIEW,
    WARNED,
    Record,
    Rules,
    Track,
    anniversary,
    is_full,
    missing_fields,
)
from .compliance.verdicts import QuarterVerdict
from .discovery import FoundActivity, Prefill, found_view, tallies, unreported
from .model import Activity, Ambassador, Checkin
from .privacy import forgotten
from .problems import ProblemRecord, problem_id
from .quarters import Quarter, latest_ended, latest_final, local_date
from .values import stable_digest

#: Every message the planners make; each is also the name of its templates.
MESSAGE_JOBS = ("checkin_invite", "checkin_reminder", "checkin_receipt", "standing_warned", "standing_under_review",
                "standing_under_review_staff", "standing_restored", "perk_free_event_access",
                "perk_conference_funding", "staff_digest", "blog_review_created", "blog_review_nudge", "data_problem",
                "referral_offer", "referral_accepted", "referral_exhausted",
                "notices_held", "welcome", "welcome_staff",
                "funding_short_notice", "funding_short_notice_staff", "funding_large_event",
                "funding_invoice_reminder", "funding_budget_warning",
                "certificate_yearly", "certificate_event", "quarterly_report")
#: The digest's lists of what waits on someone (`domain.waiting`), each with its `<name>_count`.
WAITING_LISTS = ("referrals_waiting", "referrals_exhausted", "funding_awaiting", "budgets_stretched", "blog_waiting")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
KIND_NAMES = {"networking": "Networking", "content": "Content", "documentation": "Documentation", "event": "Event",
              "talk": "Talk", "advocacy": "Advocacy", "community_support": "Community support"}


@dataclass(frozen=True)
class PlannedMessage:
    """One message a job intends to send. `key` is its idempotency key (business identity)."""

    key: str
    job: str  # e.g. checkin_reminder; also the template's name
    to_email: str
    to_name: str
    context: Mapping[str, Any] = field(default_factory=dict, compare=False)
    language: str = "en"
    # The recipient's languages in their order of preference: the message is written in the first one with a
    # catalog (`mail.templates`), else in English. Empty: `language` alone.
    languages: tuple[str, ...] = field(default=(), compare=False)
    # Program obligations (check-in requests, standing notices) carry no List-Unsubscribe.
    obligation: bool = True
    # Files sent with the message (a certificate's PDF); not part of its identity.
    attachments: tuple[Attachment, ...] = field(default=(), compare=False, repr=False)
    # Keys the same message had in earlier versions: one of them in the ledger means it went already.
    former_keys: tuple[str, ...] = field(default=(), compare=False)
    # Deadlines the message announces, sent with it as a calendar file (`domain.calendar`); not part of its identity.
    deadlines: tuple[Deadline, ...] = field(default=(), compare=False, repr=False)

    @property
    def template(self) -> str:
        return self.job


@dataclass(frozen=True)
class Attachment:
    """A file attached to a message: its name as the recipient sees it, its MIME type and its bytes."""

    filename: str
    content_type: str  # e.g. application/pdf
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Schedule:
    invite_days_after_end: int = 0
    reminder_days_before_close: tuple[int, ...] = (10, 3)
    receipt_max_age_days: int = 7
    notice_max_age_days: int = 30
    digest_weekday: str = "monday"
    welcome_max_age_days: int = 30
    at_risk_from_week: int = 8  # the digest lists those at risk of the quarter under way from this week on


@dataclass(frozen=True)
class ProgramState:
    """What the planners read: the program as of one day."""

    as_of: date
    rules: Rules
    schedule: Schedule
    tracks: Sequence[Track]
    activities: Sequence[Activity]  # received on or before as_of
    checkins: Sequence[Checkin]
    problems: Sequence[ProblemRecord] = ()  # open data problems
    form_url: str = ""
    prefill_email_entry: str = ""
    staff: Sequence[str] = ()
    responses_source: str = ""  # the name the check-in responses' problems carry
    #: A track with its activities, from a track that may hold its records in brief (a rerun reuses those).
    full: Callable[[Track], Track] = lambda t: t
    problems_where: str = ""  # where staff find and mark the data problems
    #: What `discover` found in the sources ambassadors declared (suggestions listed in their mail, never counted),
    #: and the form's pre-fill parameters for the links that report one.
    found: Sequence[FoundActivity] = ()
    prefill: Prefill | None = None
    #: Who is at risk of the quarter under way (`domain.at_risk`), worked out by the digest job when the digest
    #: lists them (from week `schedule.at_risk_from_week` of the quarter on).
    at_risk: Sequence[AtRisk] = ()
    #: What waits on someone (`domain.waiting.waiting_context`: referral offers, funding, blog drafts), as the
    #: digest job read it from the stores; a list left out is shown empty.
    waiting: Mapping[str, Any] = field(default_factory=dict)


def _full_record(state: ProgramState, t: Track, quarter: Quarter) -> Record:
    """The quarter's record with its activities (a full track holds every quarter its brief one does)."""
    record = state.full(t).at(quarter)
    if record is None:
        raise LookupError(f"the full track of {t.ambassador.email} has no record of {quarter}")
    return record


def first_name(amb: Ambassador) -> str:
    """The name a message greets them by (the templates' `first_name`): their preferred name, else their whole
    name (never a guess at a given name: "Nguyễn Thị Lan" is not "Nguyễn"), else their address."""
    return amb.preferred_name.strip() or amb.name.strip() or amb.email


def language(amb: Ambassador) -> str:
    return amb.languages[0] if amb.languages else "en"


def greeting(amb: Ambassador | None, fallback: str = "there") -> str:
    """`first_name` of someone who may not be on the roster (`fallback` then)."""
    return first_name(amb) if amb is not None else fallback


def addressed(message: PlannedMessage, amb: Ambassador | None) -> PlannedMessage:
    """`message` to be written in `amb`'s languages (the renderer takes the first one it has a catalog of)."""
    if amb is None or not amb.languages:
        return message
    return replace(message, language=language(amb), languages=tuple(amb.languages))


def form_link(state: ProgramState, email: str) -> str:
    """The check-in form's link, pre-filled with the ambassador's email where the form allows."""
    if not state.prefill_email_entry or not state.form_url:
        return state.form_url
    from urllib.parse import quote

    sep = "&" if "?" in state.form_url else "?"
    return f"{state.form_url}{sep}usp=pp_url&{state.prefill_email_entry}={quote(email)}"


def problem_view(r: ProblemRecord) -> dict[str, Any]:
    """A data problem as plain data for a template: where, what, why."""
    p = r.problem
    value = p.value if len(p.value) <= 80 else p.value[:77] + "..."
    return {"id": r.id, "row": p.row, "column": p.column, "value": value, "reason": p.reason, "source": p.source,
            "owner": r.owner, "first_seen": r.first_seen.isoformat() if r.first_seen else "", "text": str(p)}


def _row_problems(state: ProgramState) -> dict[tuple[str, int], list[ProblemRecord]]:
    """The open problems of each (ambassador, response row), for receipts and notes."""
    out: dict[tuple[str, int], list[ProblemRecord]] = defaultdict(list)
    for r in state.problems:
        if r.problem.source == state.responses_source and r.owner == r.problem.email and r.problem.email:
            out[(r.owner, r.problem.row)].append(r)
    return out


def describe(a: Activity, rules: Rules) -> dict[str, Any]:
    """An activity as plain data for a template."""
    missing = missing_fields(a, rules)
    return {"title": a.title, "kind": KIND_NAMES.get(a.kind, a.kind), "date": a.date.isoformat(),
            "full": not missing, "missing": missing, "reach": a.reach,
            "engagements": (a.engagements or 0) + (a.reshares or 0)}


def _found_views(state: ProgramState, email: str, quarters: Iterable[Quarter], reported: Iterable[Activity]
                 ) -> list[dict[str, str]]:
    """The ambassador's found activities dated in `quarters` that none of `reported` (and of the activities
    received lately) is, as plain data for `_found.html`, oldest first."""
    if not state.found:
        return []
    mine = [*reported, *(a for a in state.activities if a.email == email)]
    out = []
    for q in sorted(set(quarters)):
        out += [found_view(f, state.prefill, KIND_NAMES) for f in unreported(state.found, mine, email, q)]
    return out


def _reported(v: QuarterVerdict) -> list[Activity]:
    """Every activity a verdict read: counted, incomplete and excluded."""
    return [*v.counted, *v.incomplete, *(e.activity for e in v.excluded)]


def _active(track: Track) -> bool:
    return track.ambassador.status == "active"


def _message(job: str, key: str, amb: Ambassador, context: Mapping[str, Any], obligation: bool = True
             ) -> PlannedMessage:
    base = {"first_name": first_name(amb), "name": amb.name, "email": amb.email}
    return PlannedMessage(key=key, job=job, to_email=amb.email, to_name=amb.name, context={**base, **context},
                          language=language(amb), languages=tuple(amb.languages), obligation=obligation)


def checkin_steps(quarter: Quarter, rules: Rules, schedule: Schedule) -> list[tuple[str, date]]:
    """The quarter's check-in steps in date order: the invitation, then each reminder."""
    closes = quarter.window_closes(rules.window_days)
    steps = [("invite", quarter.end + timedelta(days=1 + schedule.invite_days_after_end))]
    for days in sorted(set(schedule.reminder_days_before_close), reverse=True):
        steps.append((f"d-{days}", closes - timedelta(days=days)))
    return sorted(steps, key=lambda s: s[1])


def plan_checkin_requests(state: ProgramState) -> list[PlannedMessage]:
    """The invitation or the latest due reminder of the quarter whose window is open."""
    quarter = latest_ended(state.as_of)
    closes = quarter.window_closes(state.rules.window_days)
    if state.as_of > closes:
        return []
    due = [s for s in checkin_steps(quarter, state.rules, state.schedule) if s[1] <= state.as_of]
    if not due:
        return []
    step, _ = due[-1]
    # Someone who checks in today gets a receipt saying what counted and what is missing: no
    # invitation or reminder on top of it today (a reminder still due goes tomorrow).
    checked_in_today = {c.email for c in state.checkins if local_date(c.received_at, state.rules.tz) == state.as_of}
    out = []
    for t in state.tracks:
        record = t.at(quarter)
        if record is None or not _active(t) or t.ambassador.email in checked_in_today:
            continue
        if step != "invite" and record.verdict.status != PENDING:
            continue
        v = _full_record(state, t, quarter).verdict
        amb = t.ambassador
        context = {
            "quarter": str(quarter), "closes": closes.isoformat(), "form_link": form_link(state, amb.email),
            "needed": state.rules.min_full_reports, "counted": [describe(a, state.rules) for a in v.counted],
            "incomplete": [describe(a, state.rules) for a in v.incomplete],
            "remaining": max(0, state.rules.min_full_reports - len(v.counted)), "days_left": (closes - state.as_of).days,
            "found": _found_views(state, amb.email, [quarter], _reported(v)),
        }
        close = (checkin_close(str(quarter), closes, form_link(state, amb.email)),)
        if step == "invite":
            out.append(replace(_message("checkin_invite", f"checkin_invite:{quarter}:{amb.email}", amb, context),
                               deadlines=close))
        elif v.status == PENDING:
            out.append(replace(_message("checkin_reminder", f"checkin_reminder:{quarter}:{amb.email}:{step}", amb,
                                        context), deadlines=close))
    return out


def plan_receipts(state: ProgramState) -> list[PlannedMessage]:
    """A receipt for each recent check-in: what was recorded and what would complete it."""
    by_row: dict[int, list[Activity]] = defaultdict(list)
    for a in state.activities:
        by_row[a.row].append(a)
    tracks = {t.ambassador.email: t for t in state.tracks}
    oldest = state.as_of - timedelta(days=state.schedule.receipt_max_age_days)
    row_problems = _row_problems(state)
    out = []
    for c in state.checkins:
        day = local_date(c.received_at, state.rules.tz)
        t = tracks.get(c.email)
        if t is None or not _active(t) or not (oldest <= day <= state.as_of):
            continue
        acts = sorted(by_row.get(c.row, ()), key=lambda a: a.section)
        quarters = []
        seen: list[Activity] = list(acts)
        open_quarter = latest_ended(state.as_of)
        wanted = {Quarter.of(a.date) for a in acts}
        if state.as_of <= open_quarter.window_closes(state.rules.window_days):
            wanted.add(open_quarter)  # the quarter being reported, whatever this response was about
        for q in sorted(wanted):
            record = t.at(q)
            if record is not None and state.found:
                seen += _reported(_full_record(state, t, q).verdict)
            if record is not None and q in {Quarter.of(a.date) for a in acts}:
                quarters.append({"quarter": str(q), "status": record.verdict.status,
                                 "full_reports": record.verdict.full_reports, "needed": state.rules.min_full_reports,
                                 "closes": q.window_closes(state.rules.window_days).isoformat()})
        context = {"received": day.isoformat(), "activities": [describe(a, state.rules) for a in acts],
                   "quarters": quarters, "form_link": form_link(state, c.email),
                   "any_incomplete": any(not is_full(a, state.rules) for a in acts),
                   "row": c.row, "problems": [problem_view(r) for r in row_problems.get((c.email, c.row), ())],
                   "found": _found_views(state, c.email, wanted, seen)}
        out.append(_message("checkin_receipt", f"checkin_receipt:{c.email}:{c.received_at.isoformat()}",
                            t.ambassador, context, obligation=False))
    return out


def plan_problem_notes(state: ProgramState) -> list[PlannedMessage]:
    """A short note to an ambassador about rows of theirs that could not be used, when no receipt could
    say so: the problem was found after the response's receipt went (a roster change, a response
    read late). Once per row and set of problems; never for problems staff marked ignored, nor for
    responses older than `notice_max_age_days` (a first run on an old program tells no one about
    last year's rows)."""
    tracks = {t.ambassador.email: t for t in state.tracks}
    received = {(c.email, c.row): local_date(c.received_at, state.rules.tz) for c in state.checkins}
    oldest = state.as_of - timedelta(days=state.schedule.notice_max_age_days)
    out = []
    for (email, row), records in sorted(_row_problems(state).items()):
        t = tracks.get(email)
        day = received.get((email, row))
        if t is None or not _active(t) or day is None or day < oldest:
            continue  # a response older than the notices' horizon is not worth a note any more
        covered = day + timedelta(days=state.schedule.receipt_max_age_days)
        fresh = [r for r in records if r.first_seen and covered < r.first_seen <= state.as_of
                 and r.first_seen >= oldest]
        if not fresh:
            continue
        ids = stable_digest(*sorted(r.id for r in fresh), length=8)
        # Before ids named a source by its local file, a note about a sheet's or a form's rows was keyed by ids
        # that named the sheet or the form: the same note, which must not go again after an upgrade.
        former = stable_digest(*sorted(problem_id(r.problem) for r in fresh), length=8)
        context = {"row": row, "received": day.isoformat(), "problems": [problem_view(r) for r in fresh],
                   "form_link": form_link(state, email)}
        note = _message("data_problem", f"data_problem:{email}:r{row}:{ids}", t.ambassador, context,
                        obligation=False)
        out.append(note if former == ids else replace(note, former_keys=(f"data_problem:{email}:r{row}:{former}",)))
    return out


def _notice_due(t: Track, record: Record) -> bool:
    """Whether this final record calls for a standing or perk notice (read from the record in brief)."""
    v = record.verdict
    i = t.records.index(record)
    before = t.records[i - 1].standing if i > 0 else "good"
    return (v.status == MISSED and record.standing in (WARNED, UNDER_REVIEW)) or \
        (v.status == MET and (before in (WARNED, UNDER_REVIEW) or record.streak == 2))


def plan_notices(state: ProgramState) -> list[PlannedMessage]:
    """Standing notices for the latest final quarter, and perk notices, each once."""
    final = latest_final(state.as_of, state.rules.window_days)
    became_final = final.window_closes(state.rules.window_days) + timedelta(days=1)
    fresh = (state.as_of - became_final).days <= state.schedule.notice_max_age_days
    out = []
    for t in state.tracks:
        if not _active(t):
            continue
        amb = t.ambassador
        record = t.at(final)
        if fresh and record is not None and _notice_due(t, record):
            i = t.records.index(record)
            before = t.records[i - 1].standing if i > 0 else "good"
            v = _full_record(state, t, final).verdict
            context = {"quarter": str(final), "full_reports": len(v.counted), "needed": state.rules.min_full_reports,
                       "counted": [describe(a, state.rules) for a in v.counted],
                       "incomplete": [describe(a, state.rules) for a in v.incomplete],
                       "next_quarter": str(final.next()), "streak": record.streak,
                       "ambassador": {"name": amb.name, "email": amb.email, "country": amb.country,
                                      "region": amb.region, "university": amb.university}}
            if v.status == MISSED and record.standing == WARNED:
                out.append(_message("standing_warned", f"standing_warned:{final}:{amb.email}", amb, context))
            elif v.status == MISSED and record.standing == UNDER_REVIEW:
                out.append(_message("standing_under_review", f"standing_under_review:{final}:{amb.email}", amb,
                                    context))
                for staff in state.staff:
                    out.append(PlannedMessage(
                        key=f"standing_under_review_staff:{final}:{amb.email}:{staff}", job="standing_under_review_staff",
                        to_email=staff, to_name="Ambassador support team", context={**context, "first_name": "team"}))
            elif v.status == MET and before in (WARNED, UNDER_REVIEW):
                out.append(_message("standing_restored", f"standing_restored:{final}:{amb.email}", amb, context))
            if v.status == MET and record.streak == 2:
                out.append(_message("perk_free_event_access", f"perk_free_event_access:{amb.email}:{final}", amb,
                                    context, obligation=False))
        if CONFERENCE_FUNDING in t.perks:
            since = anniversary(amb.start_date, 1)
            if (state.as_of - since).days <= state.schedule.notice_max_age_days:
                out.append(_message("perk_conference_funding",
                                    f"perk_conference_funding:{amb.email}:{amb.start_date.isoformat()}", amb,
                                    {"since": since.isoformat(), "start_date": amb.start_date.isoformat()},
                                    obligation=False))
    return out


def _found_tally(state: ProgramState, quarter: Quarter, names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Found versus reported in `quarter`, per ambassador with anything found (staff's digest), most unreported
    first."""
    found = [f for f in state.found if quarter.start <= f.date <= quarter.end]
    if not found:
        return []
    emails = {f.email for f in found}
    acts = [a for a in state.activities if a.email in emails]
    for t in state.tracks:
        if t.ambassador.email in emails and t.at(quarter) is not None:
            acts += _reported(_full_record(state, t, quarter).verdict)
    rows = [{"name": t.name, "email": t.email, "found": t.found, "reported": t.reported, "unreported": t.unreported,
             "activities": t.activities} for t in tallies(found, acts, names, quarter)
            if not forgotten(t.email, t.name)]
    return sorted(rows, key=lambda r: (-r["unreported"], r["name"]))


def _by_owner(views: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The open data problems counted per owner (new ones apart), most first: who has something to fix."""
    counts: dict[str, list[int]] = {}
    for v in views:
        c = counts.setdefault(v["owner"] or "no one", [0, 0])
        c[0] += 1
        c[1] += bool(v["new"])
    return [{"owner": o, "open": n, "new": new} for o, (n, new) in sorted(counts.items(), key=lambda i: (-i[1][0], i[0]))]


def at_risk_due(state: ProgramState) -> bool:
    """Whether this day's digest lists those at risk of the quarter under way (from week
    `schedule.at_risk_from_week` of it on)."""
    return week_of(Quarter.of(state.as_of), state.as_of) >= state.schedule.at_risk_from_week


def _at_risk_context(state: ProgramState) -> dict[str, Any]:
    """The digest's "at risk" section: shown from week `at_risk_from_week` of the quarter under way on."""
    quarter = Quarter.of(state.as_of)
    return {"at_risk_shown": at_risk_due(state), "at_risk_quarter": str(quarter),
            "at_risk_week": week_of(quarter, state.as_of), "at_risk_from_week": state.schedule.at_risk_from_week,
            "at_risk": [as_dict(r) for r in state.at_risk] if at_risk_due(state) else [],
            "needed": state.rules.min_full_reports}


def plan_digest(state: ProgramState) -> list[PlannedMessage]:
    """The weekly staff digest, on the first run on or after the configured weekday."""
    if state.as_of.weekday() < WEEKDAYS.index(state.schedule.digest_weekday) or not state.staff:
        return []
    year, week, _ = state.as_of.isocalendar()
    week_key = f"{year}-W{week:02d}"
    since = state.as_of - timedelta(days=6)
    names = {t.ambassador.email: t.ambassador.name for t in state.tracks}
    # Someone erased is named in no list (`forgotten`): their activities and standing still count where they count.
    new = [dict(describe(a, state.rules), ambassador=names.get(a.email, a.email))
           for a in sorted(state.activities, key=lambda a: (a.received_at, a.row, a.section))
           if since <= local_date(a.received_at, state.rules.tz) <= state.as_of
           and not forgotten(a.email, a.title, a.link, names.get(a.email, ""))]
    final_now = latest_final(state.as_of, state.rules.window_days)
    final_before = latest_final(state.as_of - timedelta(days=7), state.rules.window_days)
    changed = []
    if final_now != final_before:
        for t in state.tracks:
            now, then = t.at(final_now), t.at(final_before)
            if now is not None and (then is None or then.standing != now.standing) \
                    and not forgotten(t.ambassador.email, t.ambassador.name):
                changed.append({"name": t.ambassador.name, "email": t.ambassador.email,
                                "before": then.standing if then else "new", "after": now.standing,
                                "quarter": str(final_now)})
    current = latest_ended(state.as_of)
    counts = {s: 0 for s in (MET, PENDING, MISSED, EXEMPT)}
    for t in state.tracks:
        record = t.at(current)
        if record is not None:
            counts[record.verdict.status] += 1
    # New problems (first seen this week) first, then the ones still open from before; each with its owner.
    listed = sorted(state.problems, key=lambda r: (not (r.first_seen and r.first_seen >= since), r.problem.source,
                                                  r.problem.row, r.problem.column))
    views = [dict(problem_view(r), new=bool(r.first_seen and r.first_seen >= since),
                  owner=names.get(r.owner, r.owner)) for r in listed]
    context = {"found_tally": _found_tally(state, current, names), "found_quarter": str(current),
               "week": week_key, "since": since.isoformat(), "as_of": state.as_of.isoformat(),
               "problems": views[:50], "problem_count": len(views), "problem_owners": _by_owner(views),
               "new_problem_count": sum(1 for v in views if v["new"]), "problems_where": state.problems_where,
               "new_activities": new,
               "changed": changed, "quarter": str(current), "counts": counts,
               "closes": current.window_closes(state.rules.window_days).isoformat(),
               **_at_risk_context(state),
               **{k: [] for k in WAITING_LISTS}, **{f"{k}_count": 0 for k in WAITING_LISTS}, **state.waiting}
    return [PlannedMessage(key=f"staff_digest:{week_key}:{staff}", job="staff_digest", to_email=staff,
                           to_name="Ambassador support team", context={**context, "first_name": "team"},
                           obligation=False) for staff in state.staff]
