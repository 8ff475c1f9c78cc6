"""The `report` section: the quarterly program report and the newsletter's material."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from ..domain.report import ReportSettings
from .checks import Strict, default_of


class ReportConfig(Strict):
    """The `report` job: the quarterly program report (HTML, PDF) and the newsletter's material."""

    # Where the reports go: <dir>/<quarter>/report.html, report.pdf and newsletter.md.
    dir: Path = Path("reports")
    # The report's templates (Jinja2): report.html and newsletter.md.
    templates_dir: Path = Path("templates/report")
    # Quarters in the compliance history: the report's quarter and the ones before it.
    quarters_shown: int = Field(default_of(ReportSettings, "quarters_shown"), ge=1, le=12)
    # Rows of each engagement ranking (events and talks; content).
    top_activities: int = Field(default_of(ReportSettings, "top_activities"), ge=1, le=50)
    # An activity with fewer registrations (events, talks) or views (content) than this is not ranked.
    min_audience: int = Field(default_of(ReportSettings, "min_audience"), ge=0)
    # The appendix listing every ambassador's quarter (false: a report to forward beyond staff).
    ambassador_table: bool = default_of(ReportSettings, "ambassador_table")
    # A page per ambassador over the years (verdicts year by year, activity mix, reach, referrals taken, funding
    # used), for renewal conversations (false: a shorter PDF). Like the appendix, they name people: with
    # ambassador_table false (a report to forward beyond staff) there are none either.
    ambassador_pages: bool = default_of(ReportSettings, "ambassador_pages")
    # Activities the newsletter credits, taken in turn from the top of both engagement rankings.
    newsletter_highlights: int = Field(default_of(ReportSettings, "newsletter_highlights"), ge=0, le=50)
    # Mail the final report (the page attached) to mail.staff_addresses, once per quarter.
    email_staff: bool = default_of(ReportSettings, "email_staff")
