"""The welcome: what a new ambassador is told when they appear on the roster as active, and what
staff are asked to do by hand for them. Pure planning, like `domain.messages`.

- `welcome:<email>:<start date>`: the handbook's essentials (the quarterly rule, when and how the
  check-in comes, the first-quarter exemption when it applies, where to introduce themselves, the
  support address, how to ask for funding), to the ambassador;
- `welcome_staff:<email>:<start date>:<staff>`: the checklist only a person can work through (the
  forum's Ambassadors badge, the chat icon), naming the ambassador and their handles.

The start date is in the key, so a rejoiner, to whom staff give a new start date, is welcomed again.
Only ambassadors active today whose start date is at most `welcome_max_age_days` before the run
and not after it are welcomed: a first run on a program that has been running welcomes no one who
joined long ago, and someone added as paused (or alumni, removed) is welcomed only if they become
active while their start date is still recent.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from .compliance import Rules, late_joiner_exempt
from .messages import PlannedMessage, ProgramState, Schedule, _message, checkin_steps, form_link
from .model import Ambassador
from .quarters import Quarter, latest_ended


def welcome_due(amb: Ambassador, as_of: date, schedule: Schedule) -> bool:
    """Whether this ambassador is welcomed on `as_of`: active today, start date recent and not ahead."""
    oldest = as_of - timedelta(days=schedule.welcome_max_age_days)
    return amb.status == "active" and oldest <= amb.start_date <= as_of


def invitation_date(quarter: Quarter, rules: Rules, schedule: Schedule) -> date:
    return next(day for step, day in checkin_steps(quarter, rules, schedule) if step == "invite")


def next_invitation(amb: Ambassador, as_of: date, rules: Rules, schedule: Schedule) -> tuple[Quarter, date]:
    """The first check-in invitation the ambassador will get on or after `as_of`, and its quarter."""
    quarter = Quarter.of(amb.start_date)
    while invitation_date(quarter, rules, schedule) < as_of:
        quarter = quarter.next()
    return quarter, invitation_date(quarter, rules, schedule)


def welcome_context(amb: Ambassador, state: ProgramState) -> dict[str, Any]:
    """What the welcome says, as plain data for its templates."""
    rules, schedule, as_of = state.rules, state.schedule, state.as_of
    first = Quarter.of(amb.start_date)
    exempt = late_joiner_exempt(amb, first, rules)
    counting = first.next() if exempt else first
    invite_quarter, invite_day = next_invitation(amb, as_of, rules, schedule)
    # A quarter that has ended, whose window is still open and that counts for them: they can check in now.
    ended = latest_ended(as_of)
    open_now = None
    if amb.start_date <= ended.end and as_of <= ended.window_closes(rules.window_days) and \
            not late_joiner_exempt(amb, ended, rules) and invite_quarter != ended:
        open_now = {"quarter": str(ended), "closes": ended.window_closes(rules.window_days).isoformat()}
    return {
        "start_date": amb.start_date.isoformat(), "needed": rules.min_full_reports, "window_days": rules.window_days,
        "reminder_days": sorted(set(schedule.reminder_days_before_close), reverse=True),
        "invite_quarter": str(invite_quarter), "invite_date": invite_day.isoformat(),
        "invite_today": invite_day == as_of,
        "invite_closes": invite_quarter.window_closes(rules.window_days).isoformat(),
        "first_quarter": str(first), "exempt": exempt, "counting_quarter": str(counting),
        "counting_closes": counting.window_closes(rules.window_days).isoformat(),
        "open_now": open_now, "form_link": form_link(state, amb.email),
    }


def plan_welcome(state: ProgramState) -> list[PlannedMessage]:
    """A welcome to each newly active ambassador, and a checklist for each staff address, each once."""
    out = []
    for t in state.tracks:  # only ambassador fields are read: a track may hold its records in brief
        amb = t.ambassador
        if not welcome_due(amb, state.as_of, state.schedule):
            continue
        start = amb.start_date.isoformat()
        context = welcome_context(amb, state)
        out.append(_message("welcome", f"welcome:{amb.email}:{start}", amb, context))
        who = {"name": amb.name, "email": amb.email, "country": amb.country, "region": amb.region,
               "university": amb.university, "languages": list(amb.languages), "forum_handle": amb.forum_handle,
               "chat_handle": amb.chat_handle}
        for staff in state.staff:
            out.append(PlannedMessage(
                key=f"welcome_staff:{amb.email}:{start}:{staff}", job="welcome_staff", to_email=staff,
                to_name="Ambassador support team",
                context={**context, "first_name": "team", "ambassador": who}))
    return out
