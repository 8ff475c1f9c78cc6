"""`JinjaReportRenderer`: the quarterly report's HTML page and the newsletter's Markdown, from the
Jinja2 templates staff edit in `templates/report/`.

The page is one self-contained file a person can forward: its charts are inline SVG
(`domain.charts`), its style an inline `<style>`, and it loads nothing (no stylesheet, script,
image or font from anywhere). The environment is sandboxed like the mail's (a template cannot reach
Python internals), an undefined name is an error (StrictUndefined), and HTML is autoescaped. The
Markdown template is not HTML-escaped; its `md` filter escapes what Markdown would read as markup
(or as raw HTML) in a title or a name, and `md_url` keeps an address from breaking out of its link.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from ...domain import report as figures
from ...domain.charts import bar_chart, quarter_grid, stacked_chart
from ...domain.report import ProgramReport
from ...effects import DocumentFailed
from ...mail.templates import place

FAMILY_TITLES = {figures.ATTENDANCE: "Events and talks, by attendance",
                 figures.CONTENT: "Content, by engagement"}


def thousands(value) -> str:
    return f"{value:,}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def money(value) -> str:
    return f"{Decimal(value):,.2f}"


def share(value) -> str:
    return "" if value is None else f"{value:.0%}"


def plural(n: int, word: str, many: str = "") -> str:
    """`1 request`, `2 requests`; `many` for an irregular plural (`inquiry`, `inquiries`)."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {many or word + 's'}"


def amounts(pairs) -> str:
    """Amounts in several currencies, `EUR 1,200.00 · USD 300.00`, each currency held to its amount by a no-break
    space (a line breaks only between them); "none" when there are none."""
    return " · ".join(f"{currency}\u00a0{money(amount)}" for currency, amount in pairs) or "none"


def of_joined(n, joined: int) -> str:
    """A cohort's count with its share, `5 (71%)`; "not yet" for a quarter still to come (None)."""
    return "not yet" if n is None else f"{n:,} ({n / joined:.0%})" if joined else f"{n:,}"


def days(value) -> str:
    """A number of days (a median may be a half): `12 days`, `12.5 days`; "none yet" for None."""
    if value is None:
        return "none yet"
    text = f"{value:,.1f}".removesuffix(".0")
    return f"{text} day" if text == "1" else f"{text} days"


def long_date(d) -> str:
    return f"{d.day} {d:%B %Y}"


# What Markdown reads as markup inside a line (emphasis, code, links, raw HTML, entities, GFM tables
# and strike-through). The templates never put a value at the start of a line, where `#`, `-`, `+` and
# `1.` would matter too.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")


def md(text) -> str:
    """Text that Markdown shows as it is inside a line: every character it could read as markup or raw
    HTML escaped with a backslash (CommonMark reads a backslash before any ASCII punctuation as that
    character), and line breaks folded (a title is one line)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def md_url(url: str) -> str:
    """An address that stays inside `(...)`: spaces, brackets and angle brackets percent-encoded."""
    return quote(url, safe=":/?#@!$&'*+,;=%-._~")


class JinjaReportRenderer:
    name = "Jinja2"

    def __init__(self, folder: Path, template: str):
        self.folder = Path(folder)
        self.filename = template
        html = template.endswith(".html")
        self.env = SandboxedEnvironment(
            loader=FileSystemLoader(str(self.folder)), undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=html),
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        self.env.filters.update(thousands=thousands, money=money, share=share, long_date=long_date,
                                score=figures.score_text, md=md, md_url=md_url,
                                plural=plural, amounts=amounts, of_joined=of_joined, days=days)
        # `selectattr("perks", "contains", "free_event_access")`: the holders of one perk.
        self.env.tests["contains"] = lambda seq, item: item in seq

    def context(self, report: ProgramReport) -> dict:
        charts = {
            "reach": bar_chart(figures.reach_bars(report), f"People reached by country, {report.quarter}"),
            "kinds": bar_chart(figures.kind_bars(report), f"Activities by kind, {report.quarter}", color="#2f7f8f"),
            "compliance": stacked_chart(figures.compliance_stacks(report), figures.STATUS_SERIES,
                                        f"Quarterly verdicts, {report.history[0].quarter} to {report.quarter}"),
            "retention": bar_chart(figures.retention_bars(report), f"Active on {long_date(report.retention_day)}, by "
                                   f"the quarter people joined", color="#2f7f8f"),
        }
        grids = [Markup(quarter_grid(h.grid(), figures.STATUS_SERIES, f"{h.name}: verdicts by quarter"))
                 for h in report.histories]
        return {
            "report": report, "charts": {k: Markup(v) for k, v in charts.items()}, "grids": grids,
            "retention_after": figures.RETENTION_AFTER,
            "kind_labels": figures.KIND_LABELS, "standing_labels": figures.STANDING_LABELS,
            "perk_labels": figures.PERK_LABELS, "score_definitions": figures.SCORE_DEFINITIONS,
            "family_titles": FAMILY_TITLES, "statuses": figures.STATUSES, "standings": figures.STANDINGS,
            "perks": figures.PERKS,
        }

    def render(self, report: ProgramReport) -> bytes:
        try:
            text = self.env.get_template(self.filename).render(self.context(report))
        except TemplateNotFound:
            raise DocumentFailed(f"the report template {self.folder / self.filename} does not exist") from None
        except Exception as exc:  # noqa: BLE001 - TemplateError, or a template raising ({{ 1/0 }}): that file fails
            where, line = place(exc, self.folder)
            at = f" ({where or self.filename}, line {line})" if line else ""
            why = exc if isinstance(exc, TemplateError) else f"{type(exc).__name__}: {exc}"
            raise DocumentFailed(f"the report template {self.folder / self.filename} failed{at}: {why}") from None
        return text.encode("utf-8")
