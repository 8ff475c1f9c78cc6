"""The charts' rows, the same for the HTML page (SVG) and the PDF (drawn directly), and the score as printed."""

from __future__ import annotations

from ..charts import Bar, Series, Stack
from ..compliance import EXEMPT, MET, MISSED, PENDING
from .model import ProgramReport

# The charts' rows: the same for the HTML page (SVG) and the PDF (drawn directly).

STATUS_SERIES = (Series(MET, "met", "#2f8f5b"), Series(MISSED, "missed", "#c0504d"),
                 Series(EXEMPT, "exempt", "#9aa5b1"), Series(PENDING, "pending", "#d9a441"))


def reach_bars(report: ProgramReport, limit: int = 12) -> list[Bar]:
    """Reach by country, ranked; the countries past `limit` summed as one last bar. Countries that reached no
    one are left to the table."""
    rows = [c.total for c in report.countries if c.total.reach > 0]
    bars = [Bar(r.country, r.reach, f"{r.reach:,}") for r in rows[:limit]]
    rest = rows[limit:]
    if rest:
        total = sum(r.reach for r in rest)
        bars.append(Bar(f"{len(rest)} other countries", total, f"{total:,}"))
    return bars


def kind_bars(report: ProgramReport) -> list[Bar]:
    return [Bar(k.label, k.activities, f"{k.activities:,}") for k in report.kinds]


def compliance_stacks(report: ProgramReport) -> list[Stack]:
    return [Stack(h.quarter, tuple(h.count(s.key) for s in STATUS_SERIES), "" if h.final else "provisional")
            for h in report.history]


def retention_bars(report: ProgramReport) -> list[Bar]:
    """Of each joining quarter's ambassadors, the share active now (the cohorts' "active now")."""
    return [Bar(c.quarter, c.active_now / c.joined, f"{c.active_now / c.joined:.0%} of {c.joined}")
            for c in report.cohorts if c.joined]


def score_text(score: float) -> str:
    """A score as a percentage: whole percents, one decimal under 10% (content rates are a few percent)."""
    pct = score * 100
    return f"{pct:.1f}%" if pct < 10 else f"{pct:.0f}%"
