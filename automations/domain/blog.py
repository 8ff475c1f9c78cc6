"""Blog reviews: proposals, their stages, the nudges a stale one earns, and published posts as activities.

Pure functions over `Proposal`s and the run's date. A proposal is a row (or record) staff and
ambassadors fill; the job owns three fields of it: the review document's link, the stage history
(each stage with the date the job first saw it there) and nothing else. Stages move when a person
changes the Stage field; the job dates each move. A proposal that sits in a stage longer than its
configured days gets one nudge for that stage, to whoever holds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .calendar import Deadline, blog_due
from .checkins import activity_id
from .messages import PlannedMessage, addressed, first_name
from .model import Activity, Ambassador, Problem
from .values import iso_date, normalize_email, normalize_title, shown, stable_digest

STAGE_LABELS = {"proposed": "proposed", "draft": "draft", "first_review": "first review",
                "final_review": "final review", "scheduled": "scheduled", "published": "published"}
REVIEW_STAGES = ("first_review", "final_review")


def parse_stage(text: str) -> str | None:
    t = " ".join(text.replace("_", " ").split()).casefold()
    for stage, label in STAGE_LABELS.items():
        if t == label:
            return stage
    return None


@dataclass(frozen=True)
class Proposal:
    key: str  # stable: the author and the title
    row: int  # where a person wrote it
    title: str
    author: str  # normalised email
    summary: str
    reviewers: tuple[str, ...]
    stage: str
    published_url: str = ""
    published_on: date | None = None
    document: str = ""  # the review document's link, once made
    history: tuple[tuple[str, date], ...] = ()  # (stage, date the job first saw it there)

    @property
    def stage_since(self) -> date | None:
        return self.history[-1][1] if self.history and self.history[-1][0] == self.stage else None


def proposal_key(author: str, title: str) -> str:
    return "blog-" + stable_digest(normalize_email(author), normalize_title(title), length=12)


def format_history(history: Sequence[tuple[str, date]]) -> str:
    return "; ".join(f"{STAGE_LABELS[s]} {d.isoformat()}" for s, d in history)


def parse_history(text: str) -> tuple[tuple[str, date], ...]:
    out: list[tuple[str, date]] = []
    for part in text.split(";"):
        words = part.strip().rsplit(" ", 1)
        if len(words) != 2:
            continue
        stage, day = parse_stage(words[0]), _iso(words[1])
        if stage and day:
            out.append((stage, day))
    return tuple(out)


def _iso(text: str) -> date | None:
    try:
        return iso_date(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class BlogSettings:
    reviewers: tuple[str, ...]  # when a proposal names none
    stale_days: Mapping[str, int]
    staff: tuple[str, ...]


@dataclass
class BlogPlan:
    new_documents: list[Proposal] = field(default_factory=list)
    stage_moves: dict[str, tuple[tuple[str, date], ...]] = field(default_factory=dict)  # key -> new history
    messages: list[PlannedMessage] = field(default_factory=list)


def _first(names: Mapping[str, str], email: str, people: Mapping[str, Ambassador] | None = None) -> str:
    """How a message greets someone: as the roster says (`messages.first_name`: their preferred name, else
    their whole name), or "there" for an address not on the roster."""
    amb = (people or {}).get(email)
    return first_name(amb) if amb is not None else names.get(email, "").strip() or "there"


def holders(p: Proposal, settings: BlogSettings) -> tuple[str, ...]:
    """Who holds a proposal in its stage: the author until review, the reviewers during it, staff after."""
    if p.stage in ("proposed", "draft"):
        return (p.author,)
    if p.stage in REVIEW_STAGES:
        return p.reviewers or settings.reviewers
    return settings.staff


def plan_blog(proposals: Sequence[Proposal], as_of: date, settings: BlogSettings,
              names: Mapping[str, str], people: Mapping[str, Ambassador] | None = None) -> BlogPlan:
    """What the job does today: documents to make, stage moves to date, messages to send."""
    plan = BlogPlan()
    for p in proposals:
        history = p.history
        if not history or history[-1][0] != p.stage:
            history = (*history, (p.stage, as_of))
            plan.stage_moves[p.key] = history
        current = replace(p, history=history)
        if not p.document and p.stage != "published":
            plan.new_documents.append(current)
        since = current.stage_since or as_of
        limit = settings.stale_days.get(p.stage)
        if limit is not None and p.document and (as_of - since).days > limit:
            for who in holders(current, settings):
                plan.messages.append(addressed(PlannedMessage(
                    # The stay's first day is in the key: a proposal back in a stage later is nudged again.
                    key=f"blog_review_nudge:{p.key}:{p.stage}:{since.isoformat()}:{who}", job="blog_review_nudge",
                    to_email=who,
                    to_name=names.get(who, ""), context={
                        "first_name": _first(names, who, people), "title": p.title,
                        "stage": STAGE_LABELS[p.stage], "days": (as_of - since).days, "document": p.document,
                        "author_name": names.get(p.author, p.author)}), (people or {}).get(who)))
    return plan


def document_messages(p: Proposal, link: str, settings: BlogSettings, names: Mapping[str, str],
                      people: Mapping[str, Ambassador] | None = None) -> list[PlannedMessage]:
    """The link to a new review document, to the author and each reviewer; whoever holds the proposal's stage
    gets the day it is due in their calendar."""
    out = []
    due = stage_due(p, settings, link)
    holding = holders(p, settings)
    for who in dict.fromkeys((p.author, *(p.reviewers or settings.reviewers))):
        out.append(addressed(PlannedMessage(
            key=f"blog_review_created:{p.key}:{who}", job="blog_review_created", to_email=who,
            to_name=names.get(who, ""), context={
                "first_name": _first(names, who, people), "title": p.title, "document": link,
                "author_name": names.get(p.author, p.author), "is_author": who == p.author,
                "summary": p.summary}, deadlines=due if who in holding else ()), (people or {}).get(who)))
    return out


def stage_due(p: Proposal, settings: BlogSettings, link: str) -> tuple[Deadline, ...]:
    """The day the proposal's current stage is due (the day it came there and its `stale_days`): none for a
    stage with no limit or not dated yet."""
    limit, since = settings.stale_days.get(p.stage), p.stage_since
    if limit is None or since is None:
        return ()
    return (blog_due(p.key, p.stage, STAGE_LABELS[p.stage], since + timedelta(days=limit), p.title, link),)


def document_fields(p: Proposal, as_of: date, settings: BlogSettings, names: Mapping[str, str]) -> dict[str, str]:
    """Every placeholder of the review template and its text."""
    reviewers = p.reviewers or settings.reviewers
    return {
        "title": shown(p.title), "author": shown(names.get(p.author, p.author)), "author_email": p.author,
        "summary": shown(p.summary, lines=True), "proposed_on": (p.history[0][1] if p.history else as_of).isoformat(), "created_on": as_of.isoformat(),
        "reviewers": ", ".join(shown(names.get(r, r)) for r in reviewers),
        "checklist": "\n".join(f"[ ] {item}" for item in CHECKLIST),
    }


CHECKLIST = (
    "The post has one clear point, stated in its first paragraph",
    "Facts, names, versions and links are correct",
    "Screenshots and code are current and readable",
    "It follows the trademark and brand guidelines",
    "The title and summary say what a reader gets",
    "Images have alt text; credits and licences are given",
)


def published_activities(proposals: Sequence[Proposal], roster: Mapping[str, Ambassador], tz: ZoneInfo,
                         source: str) -> tuple[list[Activity], list[Problem]]:
    """A published post is a content activity of its author, dated the day it was published."""
    acts, problems = [], []
    for p in proposals:
        if p.stage != "published":
            continue
        if p.published_on is None:
            problems.append(Problem(source, p.row, "Published on", "", "is empty: a published post needs its date "
                                    "to count as an activity", p.author))
            continue
        if p.author not in roster:
            continue
        # It reached the program when the job first saw it published: a post marked published after a
        # quarter's window closed is late for that quarter, like a late check-in.
        seen = next((d for stage, d in p.history if stage == "published"), p.published_on)
        received = datetime.combine(max(seen, p.published_on), time(12, 0), tz)
        acts.append(Activity(activity_id(p.author, "content", p.title, p.published_on), p.author, "content", p.title,
                             p.published_on, received, p.row, 0, link=p.published_url,
                             description=f"Blog post published: {p.title}"))
    return acts, problems
