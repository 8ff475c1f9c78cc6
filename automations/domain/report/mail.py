"""The final report to staff by mail, once per quarter."""

from __future__ import annotations

from collections.abc import Sequence

from ..messages import Attachment, PlannedMessage
from .bars import score_text
from .model import ProgramReport

REPORT_JOB = "quarterly_report"


def report_messages(report: ProgramReport, staff: Sequence[str], pdf: bytes | None) -> list[PlannedMessage]:
    """The final report to each staff address, once per quarter (`quarterly_report:<quarter>:<staff>`), its PDF
    attached (`pdf`: None in a dry run, which attaches nothing). A provisional report goes to no one: its numbers
    still change. The PDF, not the HTML page: an HTML attachment is how phishing gets past scanners, so filters
    score it (SpamAssassin's T_HTML_ATTACH) or hold it back; the page is in the reports folder beside it."""
    if not report.final:
        return []
    c = report.counts
    filename = f"report-{report.quarter}.pdf"
    context = {
        "first_name": "team", "quarter": report.quarter, "start": report.start.isoformat(),
        "end": report.end.isoformat(), "met": c.met, "missed": c.missed, "exempt": c.exempt, "pending": c.pending,
        "activities": report.activities, "reach": report.reach, "engagements": report.engagements,
        "countries": report.summary.countries_active, "referrals": len(report.referrals), "posts": report.posts_published,
        "highlights": [{"title": a.title, "ambassador": a.ambassador, "score": score_text(a.score), "basis": a.basis}
                       for a in report.highlights[:3]],
        "filename": filename,
    }
    attachments = (Attachment(filename, "application/pdf", pdf),) if pdf is not None else ()
    return [PlannedMessage(key=f"{REPORT_JOB}:{report.quarter}:{who}", job=REPORT_JOB, to_email=who, to_name="",
                           context=context, obligation=False, attachments=attachments) for who in staff]
