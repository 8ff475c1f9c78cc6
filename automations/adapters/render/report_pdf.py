"""`FpdfReportRenderer`: the quarterly report as an A4 PDF, drawn with fpdf2.

The same sections, numbers and charts as the HTML page (the charts from the same rows,
`domain.report.reach_bars` and the like, drawn here as rectangles), without a browser or the system's
Pango: fpdf2 and the Noto fonts from PyPI that the certificates use (`fpdf_certificate_renderer`), so
any name (Latin with every diacritic, Cyrillic, Greek; Arabic and CJK through fallback fonts, added only
when a text needs them) is drawn with real glyphs. Links to activities and blog posts are clickable.
The document's dates are the report's date, so the same report gives the same bytes.

This module holds the fonts a report needs and the report's sections (`Drawing`); the colours, tables
and charts they are drawn with are `pdf_page`'s.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, time
from functools import cached_property
from pathlib import Path

from ...domain import report as figures
from ...domain.report import ProgramReport
from ...effects import DocumentFailed
from .fonts import FontFile, cut_font, packaged_fonts, skip_layout_tables
from .pdf_page import ACCENT, FAMILY, INK, MUTED, TEAL, Page
from .report_jinja import FAMILY_TITLES, amounts, days, long_date, money, of_joined, plural, share

#: The characters the report's own words and numbers use, whatever the data: Latin with its accents, and
#: the typographic punctuation (dashes, quotes, the middle dot, the ellipsis).
BASE_CHARS = frozenset(map(chr, [*range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x2010, 0x2027)]))


class FpdfReportRenderer:
    name = "fpdf2"
    filename = "report.pdf"

    def __init__(self, fonts: tuple[FontFile, ...] | None = None):
        self._fonts = fonts
        self._folder: tempfile.TemporaryDirectory | None = None
        self._statics: tuple[frozenset[str], tuple[Path, Path]] | None = None

    @cached_property
    def fonts(self) -> tuple[FontFile, ...]:
        fonts = self._fonts if self._fonts is not None else packaged_fonts()
        for f in fonts:
            if not f.path.is_file():
                raise FileNotFoundError(f"the report font {f.path} is missing (pip install -r requirements.txt)")
        return fonts

    def _cmap(self, i: int) -> frozenset[int]:
        cache = self.__dict__.setdefault("_cmaps", {})
        if i not in cache:
            with self.fonts[i].open() as font:
                cache[i] = frozenset(font.getBestCmap())
        return cache[i]

    def _fallbacks(self, chars: set[str]) -> list[int]:
        """The fallback fonts these characters need (the big CJK font's map is read only if one is missing
        from the fonts before it)."""
        missing = {ord(c) for c in chars if not c.isspace()} - self._cmap(0)
        needed = []
        for i in range(1, len(self.fonts)):
            if not missing:
                break
            found = missing & self._cmap(i)
            if found:
                needed.append(i)
                missing -= found
        return needed

    def _static(self, chars: frozenset[str]) -> tuple[Path, Path]:
        """Noto Sans cut down to these characters and fixed at two weights, regular and bold, in a temporary
        folder: fpdf2 would fix the bold weight of the whole variable font itself, in some 17 seconds; cut
        down first, it takes under a second. Kept for the renderer's life (one run)."""
        if self._statics and self._statics[0] == chars:
            return self._statics[1]
        from fontTools import subset
        from fontTools.ttLib import TTFont
        from fontTools.varLib import instancer

        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="report-fonts-")
        options = subset.Options()
        # No layout tables: fpdf2 lays Latin out without them (fallback fonts shape the rest), and fixing
        # their variations is most of the instancer's time.
        options.layout_features = []
        options.drop_tables += ["GSUB", "GPOS", "GDEF"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        paths = []
        for weight in (400, 700):
            # The font's own date stays (fontTools would stamp the time of saving): the same report, the same
            # bytes. Each weight from its own cut-down copy, fixed in place (copying it costs more than cutting).
            with TTFont(self.fonts[0].path, lazy=True, recalcTimestamp=False) as font:
                subsetter = subset.Subsetter(options)
                subsetter.populate(unicodes=[ord(c) for c in chars if ord(c) in self._cmap(0)])
                subsetter.subset(font)
                if "fvar" in font:
                    instancer.instantiateVariableFont(font, {"wght": weight, "wdth": 100}, inplace=True)
                path = Path(self._folder.name) / f"{FAMILY}-{weight}.ttf"
                font.save(path)
                paths.append(path)
        self._statics = (chars, (paths[0], paths[1]))
        return paths[0], paths[1]

    def _fallback(self, i: int, chars: frozenset[str]) -> Path:
        """A fallback font (Arabic, CJK) cut down to the report's characters with its shaping rules, at the
        regular weight, TrueType (`fonts.cut_font`): a font collection's face in a file of its own."""
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="report-fonts-")
        cut = self.__dict__.setdefault("_cut", {})
        if (i, chars) not in cut:
            cut[(i, chars)] = cut_font(self.fonts[i], chars, Path(self._folder.name) / f"{self.fonts[i].family}-{len(cut)}.ttf")
        return cut[(i, chars)]

    def render(self, report: ProgramReport) -> bytes:
        from fpdf import FPDF
        from fpdf.errors import FPDFException

        try:
            return self._render(report, FPDF)
        except (FPDFException, OSError, ValueError) as exc:
            raise DocumentFailed(f"cannot draw the report PDF: {exc}") from None

    def _render(self, report: ProgramReport, FPDF) -> bytes:
        title = f"{report.program}: quarterly report {report.quarter}"

        class Document(FPDF):
            def footer(self) -> None:
                self.set_y(-12)
                self.set_font(FAMILY, size=8)
                self.set_text_color(*MUTED)
                self.cell(0, 5, f"{title} · page {self.page_no()}", align="C")

        pdf = Document(orientation="P", unit="mm", format="A4")
        pdf.set_creation_date(datetime.combine(report.as_of, time(12), tzinfo=UTC))
        pdf.set_title(title)
        pdf.set_author(report.program)
        pdf.set_creator("Ambassador Program automation")
        pdf.set_margins(16, 16, 16)
        pdf.set_auto_page_break(True, margin=18)
        chars = set("".join(Drawing.texts(report))) | BASE_CHARS
        regular, bold = self._static(frozenset(chars))
        pdf.add_font(FAMILY, "", str(regular))
        pdf.add_font(FAMILY, "B", str(bold))
        fallbacks = self._fallbacks(chars)
        for i in fallbacks:
            pdf.add_font(self.fonts[i].family, "", str(self._fallback(i, frozenset(chars))))
        skip_layout_tables(pdf)
        if fallbacks:
            # Arabic needs shaping (joined forms, right to left); Latin text is drawn the faster way.
            pdf.set_fallback_fonts([self.fonts[i].family for i in fallbacks], exact_match=False)
            pdf.set_text_shaping(True)
        pdf.add_page()
        Drawing(pdf, report).draw()
        return bytes(pdf.output())


class Drawing(Page):
    """One report drawn on one document: its sections, from the building blocks of `pdf_page.Page`."""

    def __init__(self, pdf, report: ProgramReport):
        super().__init__(pdf)
        self.r = report

    @staticmethod
    def texts(r: ProgramReport) -> list[str]:
        """The texts from the data (names, titles, places): what decides the fonts a report needs."""
        out = [r.program]
        out += [f"{c.total.country} {g.region}" for c in r.countries for g in (c.total, *c.regions)]
        out += [f"{a.title} {a.ambassador} {a.country}" for _, top in r.rankings for a in top]
        out += [f"{h.name} {h.country}" for h in r.perk_holders]
        out += [f"{x.country} {x.region} {x.recommended}" for x in r.referrals]
        out += [f"{p.title} {p.author}" for p in r.posts]
        out += [f"{a.name} {a.country}" for a in r.ambassadors]
        out += [f"{c.country} {' '.join(c.languages)} {' '.join(c.asked)}" for c in r.coverage]
        out += [f"{h.name} {h.country}" for h in r.histories]
        return out

    # The report

    def draw(self) -> None:
        for part in (self.header, self.summary, self.reach, self.kinds, self.concentration, self.coverage,
                     self.engagement, self.compliance, self.perks,
                     self.referrals, self.blog, self.funding, self.cohorts, self.ambassadors, self.histories,
                     self.closing):
            part()

    def header(self) -> None:
        r, pdf = self.r, self.pdf
        self.font(9, color=MUTED)
        pdf.cell(self.width, 5, r.program.upper(), new_x="LMARGIN", new_y="NEXT")
        self.font(22, True)
        pdf.cell(self.width, 11, f"Quarterly report {r.quarter}", new_x="LMARGIN", new_y="NEXT")
        self.para(f"{long_date(r.start)} to {long_date(r.end)} · figures as of {long_date(r.as_of)}", 10, gap=2)
        if r.final:
            text, fill, color = f"Final: the check-in window closed on {long_date(r.window_closes)}.", \
                (230, 243, 236), (31, 107, 67)
        else:
            text, fill, color = (f"Provisional: check-ins for {r.quarter} still count until "
                                 f"{long_date(r.window_closes)}; these figures will change."), (253, 243, 220), \
                (122, 84, 16)
        self.font(9.5, True, color)
        pdf.set_fill_color(*fill)
        pdf.cell(pdf.get_string_width(text) + 6, 7, text, fill=True, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_draw_color(*ACCENT)
        pdf.set_line_width(0.9)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + self.width, pdf.get_y())
        pdf.ln(2)

    def summary(self) -> None:
        r = self.r
        self.keep(lambda: self.heading("At a glance", 0),
                  lambda: self.tiles([(f"{value:,}", label) for _, value, label in r.summary.items()]),
                  lambda: self.para(f"Also {r.summary.exempt} exempt and {r.summary.pending} pending; each number is "
                                    f"defined once, in the staff guide."))

    def reach(self) -> None:
        r = self.r
        self.keep(lambda: self.heading("Reach by country and region", 0),
                  lambda: self.para("People reached: attendees of events and talks plus views of content, by the "
                                    "ambassador's country and region."),
                  lambda: self.bars(figures.reach_bars(r), ACCENT))
        rows = []
        for c in r.countries:
            regions = " · ".join(f"{g.region}: {g.reach:,}" for g in c.regions)
            t = c.total
            rows.append([t.country + (f"\n{regions}" if regions else ""), t.ambassadors, t.activities, f"{t.reach:,}",
                         f"{t.engagements:,}"])
        self.table(["Country (regions: reach)", "Ambassadors", "Activities", "Reach", "Engagements"], rows,
                   (76, 26, 22, 28, 28), ("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"))

    def kinds(self) -> None:
        r = self.r
        self.keep(lambda: self.heading("Activities by kind", 0),
                  lambda: self.para(f"Every activity reported for {r.quarter} (each counted once), and how many had "
                                    f"a full report."),
                  lambda: self.bars(figures.kind_bars(r), TEAL))
        self.table(["Kind", "Activities", "Full reports", "Reach", "Engagements"],
                   [[k.label, k.activities, k.full_reports, f"{k.reach:,}", f"{k.engagements:,}"] for k in r.kinds],
                   (60, 28, 28, 27, 27), ("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"))

    def concentration(self) -> None:
        k = self.r.concentration
        if k is None:
            return
        share_text = share(k.share) if k.share is not None else "no reach"
        self.keep(lambda: self.heading("Concentration of reach", 0),
                  lambda: self.para(f"The share of the quarter's people reached that came from its {k.top} "
                                    f"best-reaching ambassadors."),
                  lambda: self.para(f"{share_text}: {k.top_reach:,} of {k.reach:,} people reached, from {k.top} of "
                                    f"{k.ambassadors} ambassadors with a verdict.", 10, INK))

    def coverage(self) -> None:
        r = self.r
        self.keep(lambda: self.heading("Coverage: ambassadors and inquiries by country", 0),
                  lambda: self.para(f"Each country with an ambassador (with a verdict for {r.quarter}) or a referral "
                                    f"inquiry on record: the ambassadors and the languages they speak, against the "
                                    f"inquiries and the languages they asked for."), after=20)
        self.table(["Country", "Ambassadors", "Languages spoken", "Inquiries", "Languages asked", "Asked, not spoken"],
                   [[c.country, c.ambassadors, ", ".join(c.languages), c.inquiries, ", ".join(c.asked),
                     ", ".join(c.uncovered)] for c in r.coverage],
                   (36, 24, 40, 20, 30, 30), ("LEFT", "RIGHT", "LEFT", "RIGHT", "LEFT", "LEFT"))

    def engagement(self) -> None:
        r = self.r
        def opening() -> None:
            self.heading("Top activities by engagement", 0)
            self.para("The engagement score compares what happened with who could have taken part:", 9.5, INK,
                      gap=0.5)
            for text in figures.SCORE_DEFINITIONS.values():
                self.para(text, 9.5, INK, gap=0.5)
            self.para(f"Other kinds of activity have no score. Attendance and engagement rates are ranked apart, as "
                      f"they are not comparable. Activities with fewer than {r.settings.min_audience} registrations "
                      f"or views are not ranked.", gap=2)

        # The heading, the definitions and the first ranking's title stay with the start of its table.
        self.keep(opening, lambda: self.subheading(FAMILY_TITLES[r.rankings[0][0]]) if r.rankings else None,
                  after=30)
        for i, (family, top) in enumerate(r.rankings):
            if i:
                self.subheading(FAMILY_TITLES[family])
            if not top:
                self.para("No activity of this kind had a score this quarter.")
                continue
            rows = [[i, a.title, f"{a.ambassador} ({a.country})", figures.score_text(a.score), a.basis]
                    for i, a in enumerate(top, 1)]
            links = [["", a.link, "", "", ""] for a in top]
            self.table(["#", "Activity", "Ambassador", "Score", "Made of"], rows, (8, 62, 40, 16, 44),
                       ("RIGHT", "LEFT", "LEFT", "RIGHT", "LEFT"), links)
            shown = "all are shown" if len(top) == r.scored[family] else f"the top {len(top)} are shown"
            self.para(f"{plural(r.scored[family], 'activity', 'activities')} had a score; {shown}.", 8.5)

    def compliance(self) -> None:
        r = self.r
        self.keep(lambda: self.heading("Compliance and standing over the last quarters", 0),
                  lambda: self.para("An ambassador meets a quarter with enough full reports; a quarter spent mostly "
                                    "paused, or joined late, is exempt. These are the verdicts of compliance, quarter "
                                    "by quarter."),
                  lambda: self.stacks(figures.compliance_stacks(r), figures.STATUS_SERIES))
        rows = []
        for h in r.history:
            held = ", ".join(f"{n} {figures.STANDING_LABELS.get(s, s)}" for s, n in h.standings) or "no one yet"
            rows.append([h.quarter + ("" if h.final else " (provisional)"), h.met, h.missed, h.exempt, h.pending,
                         share(h.met_share), held])
        self.table(["Quarter", "Met", "Missed", "Exempt", "Pending", "Met of judged", "Standing after it"], rows,
                   (30, 13, 15, 15, 16, 20, 69), ("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "LEFT"))

    def perks(self) -> None:
        r = self.r
        def perk(perk: str) -> None:
            holders = r.holders(perk)
            self.subheading(f"{figures.PERK_LABELS[perk].capitalize()} ({r.perk_count(perk)})")
            names = ", ".join(h.name + (" (new)" if perk in h.new else "") for h in holders)
            self.para(names or "No one.", 9.5, INK)

        self.keep(lambda: self.heading("Perks earned", 0),
                  lambda: self.para(f"Perks as they stand on {long_date(r.as_of)}: free access to official events "
                                    f"after two met quarters in a row; conference funding eligibility after a full "
                                    f"year in the program."),
                  lambda: perk(figures.PERKS[0]))
        for name in figures.PERKS[1:]:
            perk(name)
        self.para("(new): earned this quarter (its second met quarter in a row; the first anniversary).", 8.5)

    def referrals(self) -> None:
        r = self.r
        self.heading("Referrals served", 40)
        self.para(f"Inquiries from organizations that were offered to (or accepted by) an ambassador in {r.quarter}, "
                  f"with where each stands now.")
        if not r.referrals:
            self.para(f"No referral inquiry was offered in {r.quarter}.")
            return
        self.table(["Need", "Where", "Offers", "Outcome"],
                   [[x.need, x.country + (f", {x.region}" if x.region else ""), x.offers,
                     f"accepted by {x.recommended}" if x.recommended else x.outcome] for x in r.referrals],
                   (40, 55, 18, 67), ("LEFT", "LEFT", "RIGHT", "LEFT"))
        accepted = sum(1 for x in r.referrals if x.outcome == "accepted")
        self.para(f"{plural(len(r.referrals), 'inquiry', 'inquiries')} served; {accepted} accepted by an ambassador.", 8.5)

    def blog(self) -> None:
        r = self.r
        self.heading("Blog posts published", 35)
        if not r.posts:
            self.para(f"No blog post was published in {r.quarter}.")
            return
        self.table(["Post", "Author", "Published"],
                   [[p.title, p.author, long_date(p.published_on)] for p in r.posts], (100, 45, 35),
                   ("LEFT", "LEFT", "LEFT"), [[p.url, "", ""] for p in r.posts])

    def funding(self) -> None:
        r = self.r
        self.heading("Funding spent against budget", 40)
        self.para(f"Approved or paid amounts (the approved amount, else the amount asked) for events in "
                  f"{r.funding_period}, the budget period that holds {r.quarter}.")
        if not r.funding:
            self.para(f"No funding was approved or asked for in {r.funding_period}, and no budget is set.")
            return
        rows = [[f.currency, "no budget set" if f.budget is None else money(f.budget), money(f.approved),
                 share(f.share), f"{money(f.in_quarter)} ({plural(f.requests, 'request')})", money(f.waiting)] for f in r.funding]
        self.table(["Currency", f"Budget {r.funding_period}", "Approved or paid", "Share", f"In {r.quarter}",
                    "Awaiting a decision"], rows, (20, 30, 32, 16, 44, 38),
                   ("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"))

    def ambassadors(self) -> None:
        r = self.r
        if not r.settings.ambassador_table:
            return
        self.heading("Appendix: every ambassador's quarter", 60)
        self.para(f"As compliance --quarter {r.quarter} shows it on {long_date(r.as_of)}.")
        self.table(["Ambassador", "Country", "Verdict", "Full", "All", "Reach", "Standing", "Streak"],
                   [[a.name, a.country, a.status, a.full_reports, a.activities, f"{a.reach:,}",
                     figures.STANDING_LABELS.get(a.standing, a.standing), a.streak] for a in r.ambassadors],
                   (44, 30, 18, 12, 12, 18, 30, 16),
                   ("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "LEFT", "RIGHT"))

    def cohorts(self) -> None:
        r = self.r
        self.keep(lambda: self.heading("Retention and first activity, by the quarter people joined", 0),
                  lambda: self.para(f"The ambassadors who had started by the end of {r.quarter}, by the quarter they "
                                    f"joined: how many were active one, two and four quarters later (on that "
                                    f"quarter's last day) and on {long_date(r.retention_day)}, and how long they took "
                                    f"from their start date to a first reported activity"
                                    + (f" (the records begin with {r.records_since}: for those who joined earlier, the "
                                       f"first activity on record need not be the first)." if r.records_since else ".")),
                  lambda: self.bars(figures.retention_bars(r), TEAL))
        if not r.cohorts:
            self.para(f"No ambassador had started by the end of {r.quarter}.")
            return
        after = [f"Active after {plural(k, 'quarter')}" for k in figures.RETENTION_AFTER]
        rows = [[c.quarter, c.joined, *(of_joined(n, c.joined) for n in c.retained), of_joined(c.active_now, c.joined),
                 of_joined(c.with_activity, c.joined), days(c.median_days) if c.recorded else "before the records"]
                for c in r.cohorts]
        self.table(["Joined", "People", *after, f"Active on {long_date(r.retention_day)}", "With an activity",
                    "Median time to the first"], rows,
                   (18, 15, 22, 22, 22, 22, 25, 34), ("LEFT", *("RIGHT",) * 7))

    def histories(self) -> None:
        r = self.r
        if not r.histories:
            return
        self.keep(lambda: self.heading("Ambassadors over the years", 0),
                  lambda: self.para(f"A page for each ambassador with a verdict for {r.quarter}, for renewal "
                                    f"conversations: every quarter since they started, year by year, with what they "
                                    f"reported, the people they reached, the referral inquiries they took on and the "
                                    f"funding they used (approved or paid, by the event's date)."))
        for h in r.histories:
            self.person(h)

    def person(self, h) -> None:
        r, pdf = self.r, self.pdf
        pdf.add_page()
        self.font(14, True)
        pdf.multi_cell(self.width, 7, h.name + (f" · {h.country}" if h.country else ""), new_x="LMARGIN", new_y="NEXT")
        status = f" ({h.status} today)" if h.status != "active" else ""
        if h.before_records:
            first = (f"First activity on record: {long_date(h.first_activity) if h.first_activity else 'none yet'}. "
                     f"The program's records begin with {h.since}: the quarters before it are not shown.")
        else:
            first = "First activity: " + (f"{long_date(h.first_activity)}, {days(h.days_to_first)} after the start."
                                          if h.first_activity else "none reported yet.")
        self.para(f"Ambassador since {long_date(h.start_date)}{status}; standing after {r.quarter}: "
                  f"{figures.STANDING_LABELS.get(h.standing, h.standing)}. {first}")
        self.grid(h.grid(), figures.STATUS_SERIES)
        lines = list(h.years) + ([h.total] if len(h.years) > 1 else [])
        self.lines(["Year", "Met", "Missed", "Exempt", "Pending", "Activities (full)", "Reach", "Referrals taken",
                    "Funding used"],
                   [[str(y.year) if y.year else "All years", y.met, y.missed, y.exempt, y.pending,
                     f"{y.activities} ({y.full_reports})", f"{y.reach:,}", y.referrals, amounts(y.funding)]
                    for y in lines],
                   (18, 12, 15, 15, 16, 24, 20, 22, 40), ("LEFT", *("RIGHT",) * 8))
        mix = " · ".join(f"{label} {n}" for label, n in h.mix) or "no activity reported."
        self.para(f"Activity mix: {mix}", 9.5, INK)

    def closing(self) -> None:
        r = self.r
        self.pdf.ln(3)
        self.para(f"Made by the program's automation (report --quarter {r.quarter}) from the check-ins, the roster, "
                  f"the referral inquiries, the blog proposals and the funding requests, as they stood on "
                  f"{long_date(r.as_of)}.", 8)
