"""The quarterly program report's figures: reach, activities, engagement, compliance, perks, referrals,
blog posts and funding, for one quarter.

Pure functions over what the other jobs already work out: the compliance `Standing`s of the quarter
(and of the quarters before it), the referral inquiries, the blog proposals and the funding requests.
Nothing is judged here: every verdict, standing, streak and perk is compliance's own (the same objects
`compliance --format json` prints), so the report's counts are compliance's counts.

Decisions made here once:
- An activity of the quarter is one of compliance's current copies dated in it (counted or not full
  yet), of an ambassador who had started by the quarter's end: what `activities` counts in the JSON.
- Reach is attendees plus views (`Activity.reach`), by the ambassador's country and region.
- The **engagement score** compares what happened with who could have taken part:
  events and talks: attendees / registrations; content: (engagements + reshares) / views; other kinds
  have no score. Attendance rates (tens of percent) and engagement rates (a few percent) are not
  comparable, so each has its own ranking. An activity with fewer than `min_audience` registrations
  (or views) is not ranked: three people of three registered is no headline.
- A referral is served in the quarter when one of its offers was made or accepted in it; its outcome
  is the inquiry's state on the report's date.
- A blog post is published in the quarter when its "Published on" date is in it (else the day the
  blog-reviews job first saw it published).
- The final report goes to staff once per quarter by mail (`report_messages`, key
  `quarterly_report:<quarter>:<staff>`), the page attached; a provisional one goes to no one.
- Someone erased (`erase`: their address a pseudonym, their name and texts tokens) still counts in every
  number, as before the erase, and is named nowhere: the lists that name people (the rankings and so the
  highlights, "met the quarter", perk holders, the referrals' ambassadors, blog posts, the appendix) leave
  them out (`forgotten`), and the figures those lists gave are kept beside them (`counted`, `perks_held`,
  `posts_published`), so a report made again after an erase has the same numbers and no token.
- Funding spent is what was approved or paid (the approved amount, else the amount asked) for events in
  the budget period that holds the quarter (its quarter or its year), against `funding.budgets`, as the
  funding job adds it up; the quarter's own share is shown beside it.

- The headline numbers (ambassadors, verdicts, activities, reach, countries, ...) are worked out once
  (`summarize`, a `Summary` on the report) and every file reads them there with the same words
  (`SUMMARY_LABELS`): the page, the PDF, the newsletter, the staff mail and the job's summary line.

- Years of history (`history`): a page per ambassador (verdicts year by year, activity mix, reach, referrals
  taken, funding used) and the cohorts by joining quarter (retention, time from the start to a first
  activity), from compliance's whole records cut at the report's quarter.

The package: `model` (the report's values and labels), `figures` (working them out from compliance's
standings, the inquiries, posts and funding requests), `history` (the years behind them), `bars` (the charts'
rows) and `mail` (the final report to staff).
"""

from .bars import STATUS_SERIES, compliance_stacks, kind_bars, reach_bars, retention_bars, score_text
from .figures import (
                      audience,
                      build_report,
                      concentration,
                      coverage,
                      engagement_score,
                      funding_lines,
                      perk_holders,
                      posts_published,
                      rankings,
                      referrals_served,
                      status_counts,
                      summarize,
                      web_link,
)
from .history import RETENTION_AFTER, AmbassadorHistory, Cohort, YearLine, cohorts, histories
from .mail import report_messages
from .model import (
                      ATTENDANCE,
                      CONTENT,
                      KIND_LABELS,
                      PERK_LABELS,
                      PERKS,
                      SCORE_DEFINITIONS,
                      STANDING_LABELS,
                      STANDINGS,
                      STATUSES,
                      SUMMARY_LABELS,
                      Concentration,
                      CoverageLine,
                      ProgramReport,
                      ReportSettings,
                      Summary,
                      name_key,
)

__all__ = [
    "ATTENDANCE", "CONTENT", "KIND_LABELS", "PERKS", "PERK_LABELS", "RETENTION_AFTER", "SCORE_DEFINITIONS",
    "STANDINGS", "STANDING_LABELS", "STATUSES", "STATUS_SERIES", "SUMMARY_LABELS", "AmbassadorHistory", "Cohort",
    "Concentration", "CoverageLine", "ProgramReport", "ReportSettings", "Summary", "YearLine", "audience",
    "build_report", "cohorts", "compliance_stacks", "concentration", "coverage", "engagement_score",
    "funding_lines", "histories", "kind_bars", "name_key", "perk_holders", "posts_published", "rankings",
    "reach_bars", "referrals_served", "report_messages", "retention_bars", "score_text", "status_counts",
    "summarize", "web_link"
]
