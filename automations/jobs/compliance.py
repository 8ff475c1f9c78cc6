"""`compliance`: each ambassador's verdict for a quarter, with reasons, and standing write-back.

The verdicts come from `domain.compliance`; this job reads the roster and the stored
activities, prints a table, JSON (CONTRACT.md) or one ambassador's explanation, and writes the
current standing, streak, perks and last check-in back to the roster's own columns.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..context import Context
from ..domain.compliance import Standing, Track, missing_fields, tracks
from ..domain.compliance import standings as standings_of
from ..domain.model import Activity, Ambassador, Checkin
from ..domain.quarters import Quarter, latest_ended, local_date
from ..domain.values import normalize_email
from ..errors import StopRun
from ..ports import StandingUpdate
from . import incremental
from .base import JobResult, bulk_allocation, load_reports, load_roster, plural, record_problems, save_problems
from .json_output import json_text


def pick_quarter(text: str | None, ctx: Context) -> Quarter:
    if not text:
        return latest_ended(ctx.as_of)
    try:
        quarter = Quarter.parse(text)
    except ValueError as exc:
        raise StopRun(f"--quarter {exc}.") from None
    if quarter.start > ctx.as_of:
        raise StopRun(f"{quarter} has not started on {ctx.as_of.isoformat()}: there is nothing to judge yet.")
    return quarter


def last_checkins(ctx: Context, checkins: list[Checkin]) -> dict[str, datetime]:
    out: dict[str, datetime] = {}
    for c in checkins:
        if local_date(c.received_at, ctx.settings.rules.tz) <= ctx.as_of and (c.email not in out or c.received_at > out[c.email]):
            out[c.email] = c.received_at
    return out


def as_json(quarter: Quarter, standings: list[Standing], final: bool) -> dict:
    rows = []
    for s in standings:
        v = s.record.verdict
        rows.append({
            "email": s.ambassador.email, "name": s.ambassador.name, "status": v.status,
            "full_reports": v.full_reports, "activities": v.activities, "standing": s.record.standing,
            "streak": s.record.streak, "perks": list(s.perks),
            "country": s.ambassador.country, "reach": v.reach, "engagements": v.engagements,
            "clustered": v.clustered, "note": v.note,
            "last_checkin": s.last_checkin.date().isoformat() if s.last_checkin else None,
        })
    return {"quarter": str(quarter), "final": final, "ambassadors": rows}


def as_table(quarter: Quarter, standings: list[Standing], final: bool, ctx: Context) -> str:
    closes = quarter.window_closes(ctx.settings.rules.window_days)
    state = f"final (window closed {closes.isoformat()})" if final else f"window open until {closes.isoformat()}"
    head = ["Ambassador", "Country", "Status", "Full", "All", "Reach", "Standing", "Streak", "Perks / note"]
    body = []
    for s in standings:
        v = s.record.verdict
        extra = ", ".join(s.perks)
        if v.note:
            extra = f"{extra}; {v.note}" if extra else v.note
        if v.clustered:
            extra = f"{extra}; all reports in one month" if extra else "all reports in one month"
        body.append([s.ambassador.name, s.ambassador.country, v.status, str(v.full_reports), str(v.activities),
                     f"{v.reach:,}", s.record.standing, str(s.record.streak), extra])
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head) - 1)]
    lines = [f"Compliance for {quarter}: {state}; as of {ctx.as_of.isoformat()}", ""]
    for r in [head, *body]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1])
    lines += ["", "  ".join(f"{k}: {n}" for k, n in status_counts(standings).items())]
    return "\n".join(line.rstrip() for line in lines)


def _describe(a: Activity) -> str:
    bits = [f"{a.kind} '{a.title}' on {a.date.isoformat()} (row {a.row}, activity {a.section})"]
    metrics = [f"{name} {getattr(a, name):,}" for name in ("attendees", "views", "engagements", "reshares")
               if getattr(a, name) is not None]
    if metrics:
        bits.append(", ".join(metrics))
    return "; ".join(bits)


def explain(s: Standing, ctx: Context) -> str:
    v = s.record.verdict
    lines = [f"{s.ambassador.name} <{s.ambassador.email}>, {v.quarter}: {v.status}"
             f"{' (final)' if v.final else ' (not final)'}; standing {s.record.standing}, streak {s.record.streak}"]
    if v.note:
        lines.append(f"  {v.note}")
    lines.append(f"  Perks on {ctx.as_of.isoformat()}: {', '.join(s.perks) or 'none'}")
    lines.append(f"Counted ({plural(len(v.counted), 'full report')}, {ctx.settings.rules.min_full_reports} needed):")
    lines += [f"  + {_describe(a)}" for a in v.counted] or ["  (none)"]
    if v.incomplete or v.excluded:
        lines.append("Not counted:")
        for a in v.incomplete:
            lines.append(f"  - {_describe(a)}: incomplete, missing {', '.join(missing_fields(a, ctx.settings.rules))}")
        for e in v.excluded:
            lines.append(f"  - {_describe(e.activity)}: {e.reason}")
    return "\n".join(lines)


def _standing_updates(all_tracks, current_q: Quarter, last: dict[str, datetime]) -> dict[str, StandingUpdate]:
    """The roster's standing fields: the picture at the latest ended quarter. Someone who started
    after it has no record yet: good standing (or their roster status), streak 0."""
    updates = {}
    for t in all_tracks:
        amb, record = t.ambassador, t.at(current_q)
        if record is not None:
            standing, streak, perks = record.standing, record.streak, t.perks
        else:
            standing, streak, perks = ("good" if amb.status == "active" else amb.status), 0, ()
        checked_in = last.get(amb.email)
        updates[amb.email] = StandingUpdate(standing, streak, tuple(perks),
                                            checked_in.date() if checked_in else None)
    return updates


def status_counts(standings: list[Standing]) -> dict[str, int]:
    counts = {"met": 0, "missed": 0, "pending": 0, "exempt": 0}
    for s in standings:
        counts[s.record.verdict.status] += 1
    return counts


def judge(ctx: Context, roster: list[Ambassador], quarter: Quarter, synced: dict | None = None
          ) -> tuple[list[Track], dict[str, datetime]]:
    """Every ambassador's record through `quarter` (and at least through the latest ended quarter) and
    their last check-ins, from what sync-checkins stored: what `compliance --quarter` reports, and what
    the `report` job reports on, worked out the one way."""
    stored = load_reports(ctx, synced)
    last = last_checkins(ctx, stored.checkins)
    return tracks(roster, stored.activities, ctx.settings.rules, ctx.as_of, max(quarter, latest_ended(ctx.as_of))), last


def run(ctx: Context, quarter_text: str | None = None, fmt: str = "table", explain_email: str | None = None,
        synced: dict | None = None) -> JobResult:
    """Judge a quarter. `synced` is what sync-checkins just read, when run-all runs both."""
    result = JobResult("compliance")
    roster, found = load_roster(ctx)
    # Saved after the standing fields: a roster that cannot take them (an option its field lacks) stops the
    # job before it writes anything.
    problems = record_problems(ctx, result, found, {a.email for a in roster}, save=False)
    quarter = pick_quarter(quarter_text, ctx)
    current_q = latest_ended(ctx.as_of)
    work = synced.get("work") if synced else None
    with bulk_allocation():
        if work is not None and quarter <= current_q:
            # run-all: each ambassador's record is recomputed only if their roster entry or copies changed,
            # or a date passed that could change it (a window closed, an anniversary); the rest is reused.
            s = ctx.settings.schedule  # how far back the mail planners look: receipts, notes, the digest's week
            lookback = timedelta(days=max(s.receipt_max_age_days, s.notice_max_age_days, 7) + 1)
            all_tracks, last, recomputed, lately = incremental.judge(ctx.stores.cache, work, roster, ctx.settings.rules, ctx.as_of,
                                                                     ctx.settings.fingerprint, ctx.dry_run, lookback)
            full = incremental.details(ctx.stores.cache, work, ctx.settings.rules, ctx.as_of)
            posted = {a.email for a in work.posts}
            result.data = {"tracks": all_tracks, "last_checkins": last, "full": full,
                           "recent": incremental.recent(ctx.stores.cache, work, ctx.settings.rules, lately | posted, ctx.as_of,
                                                        lookback)}
            result.summary.append(f"Records recomputed for {plural(recomputed, 'ambassador')}, reused for "
                                  f"{len(roster) - recomputed}.")
        else:
            all_tracks, last = judge(ctx, roster, quarter, synced)
            result.data = {"tracks": all_tracks, "last_checkins": last}
    final = ctx.as_of > quarter.window_closes(ctx.settings.rules.window_days)
    standings = standings_of(all_tracks, quarter, last)

    if explain_email:
        wanted = normalize_email(explain_email)
        match = [s for s in standings if s.ambassador.email == wanted]
        if not match:
            known = any(a.email == wanted for a in roster)
            why = "had not started by then" if known else "is not on the roster"
            raise StopRun(f"No verdict for {explain_email.strip()} in {quarter}: that ambassador {why}.")
        chosen = match[0]
        if "full" in result.data:  # the record in brief: work out its details for this one ambassador
            chosen = standings_of([result.data["full"](next(t for t in all_tracks if t.ambassador.email == wanted))],
                                  quarter, last)[0]
        result.output = explain(chosen, ctx)
    elif fmt == "json":
        result.output = json_text(as_json(quarter, standings, final))
    else:
        result.output = as_table(quarter, standings, final, ctx)

    updates = _standing_updates(all_tracks, current_q, last)
    counts = status_counts(standings)
    result.summary.append(f"{quarter}{' (final)' if final else ' (window open)'}: "
                          + ", ".join(f"{n} {k}" for k, n in counts.items()) + ".")
    if ctx.dry_run:
        would = ctx.stores.roster.write_standings(updates, dry_run=True)
        state = (f"would update the standing fields of {plural(would.updated, 'ambassador')}" if would.changed
                 else "already up to date, nothing would be written")
        result.summary.append(f"Dry run: standing fields in {ctx.stores.roster.where}: {state} (as of {current_q}).")
        return result
    written = ctx.stores.roster.write_standings(updates)
    save_problems(ctx, problems)
    state = f"{written.updated} ambassadors updated" if written.changed else "already up to date"
    result.summary.append(f"Standing fields in {ctx.stores.roster.where}: {state} (as of {current_q}).")
    return result
