"""`report`: the quarterly program report (one self-contained HTML page, its PDF) and the newsletter's
material (Markdown), for one quarter.

The verdicts, standings, streaks and perks are compliance's, worked out by the compliance job's own
functions (`compliance.judge`, `standings`), so the report's numbers are those of
`compliance --quarter Q --format json` on the same day. Beside them it reads the referral inquiries,
the blog proposals and the funding requests; `domain.report` adds it all up and each renderer (the
`templates/report/` templates, fpdf2) draws one file. The files go to `<report.dir>/<quarter>/`,
each atomically and only when its bytes change, so a rerun writes nothing; a dry run draws everything,
writes nothing and says which files it would write. A quarter whose check-in window is still open is
marked provisional. Once the quarter is final, staff get the page by mail, once per quarter
(`quarterly_report:<quarter>:<staff>`, through the ledger like every message). The job never writes the
roster or any table staff keep.
"""

from __future__ import annotations

from ..context import Context
from ..domain.compliance import standings as standings_of
from ..domain.report import build_report, report_messages
from ..effects import ActionFailed
from . import compliance
from .base import JobResult, bulk_allocation, load_roster, record_problems
from .mail_jobs import send


def run(ctx: Context, quarter_text: str | None = None) -> JobResult:
    result = JobResult("report")
    quarter = compliance.pick_quarter(quarter_text, ctx)
    roster, found = load_roster(ctx)
    settings = ctx.settings.report
    with bulk_allocation():
        all_tracks, last = compliance.judge(ctx, roster, quarter)
        shown = [quarter]
        while len(shown) < settings.quarters_shown:
            shown.insert(0, shown[0].prev())
        by_quarter = {q: standings_of(all_tracks, q, last) for q in shown}
    # The tables staff keep: the usable rows count; a row that is not usable is on record as a data
    # problem (once: its own job reports the same problem, under the same id).
    inquiries, bad = ctx.stores.referrals.read()
    found += bad
    proposals, bad = ctx.stores.blog.read()
    found += bad
    requests, bad = ctx.stores.funding.read()
    found += bad
    record_problems(ctx, result, found, {a.email for a in roster})

    program = ctx.mail.renderer.common.get("program_name", "Ambassador Program")
    report = build_report(program, quarter, ctx.as_of, ctx.settings.rules.window_days, by_quarter, inquiries, proposals,
                          requests, ctx.settings.funding, settings, all_tracks)
    result.data = {"report": report}
    files = {}
    for renderer in ctx.makers.report_renderers:
        try:
            files[renderer.filename] = renderer.render(report)
        except ActionFailed as exc:
            result.failures.append(f"{renderer.filename}: {exc}; not written")
    written = ctx.makers.report_archive.write(str(quarter), files, dry_run=ctx.dry_run)

    c, s = report.counts, report.summary
    state = "final" if report.final else f"provisional, the window closes {report.window_closes.isoformat()}"
    result.summary.append(
        f"{quarter} ({state}): {c.met} met, {c.missed} missed, {c.exempt} exempt, {c.pending} pending; "
        f"{s.activities} activities reaching {s.reach:,} people; {s.countries} countries with ambassadors "
        f"({s.countries_active} with an activity); {s.referrals} referrals served, {s.posts} blog posts published.")
    where = f"{ctx.makers.report_archive.where}/{quarter}"
    if ctx.dry_run:
        result.summary.append(f"Dry run: {written.would(where)}.")
    elif written.changed:
        names = ", ".join(p.where.rsplit("/", 1)[-1] for p in written.parts if p.changed)
        result.summary.append(f"Written to {where}: {names}.")
    else:
        result.summary.append(f"{where}: already up to date, nothing written.")
    if settings.email_staff and report.final and "report.pdf" in files:
        # Once the quarter is final, staff get it by mail, once (the ledger keeps the key); a dry run lists it.
        pdf = None if ctx.dry_run else files["report.pdf"]
        mail = send(ctx, "report", report_messages(report, ctx.mail.settings.staff, pdf))
        result.failures += mail.failures
        result.summary += mail.summary
    return result
