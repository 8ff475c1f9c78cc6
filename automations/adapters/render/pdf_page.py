"""Drawing on an fpdf2 page: the report's colours and type, and its building blocks (paragraphs, headings
that never sit alone at a page's foot, tables with links, figure tiles, bar charts and stacked column charts,
each drawn as rectangles from `domain.charts` rows). What the report says is `report_pdf.Drawing`'s."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ...domain.charts import Bar, Series, Stack, text_on

INK = (29, 39, 51)
MUTED = (96, 108, 122)
LINE = (217, 222, 229)
ACCENT = (78, 94, 158)
TEAL = (47, 127, 143)
SOFT = (243, 245, 249)
FAMILY = "NotoSans"


def rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


class Page:
    """The building blocks of a document, drawn on `pdf` (an fpdf2 FPDF) between its margins."""

    def __init__(self, pdf):
        self.pdf = pdf
        self.width = pdf.w - pdf.l_margin - pdf.r_margin

    def font(self, size: float, bold: bool = False, color=INK) -> None:
        self.pdf.set_font(FAMILY, "B" if bold else "", size)
        self.pdf.set_text_color(*color)

    def para(self, text: str, size: float = 9.5, color=MUTED, bold: bool = False, gap: float = 1.5) -> None:
        self.font(size, bold, color)
        self.pdf.multi_cell(self.width, size * 0.48, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(gap)

    def room(self, needed: float) -> None:
        """A new page unless `needed` millimetres are left: a heading never sits alone at a page's foot."""
        if self.pdf.get_y() + needed > self.pdf.page_break_trigger:
            self.pdf.add_page()

    def keep(self, *parts: Callable[[], None], after: float = 0) -> None:
        """Draw `parts` (a heading and the start of what follows it) on one page: they are drawn first on
        fpdf2's trial copy (`offset_rendering`), and when they (and `after` millimetres more) would cross the
        page's foot, a new page comes first. A group taller than a page is drawn where it is."""
        pdf = self.pdf
        with pdf.offset_rendering() as trial:
            self.pdf = trial
            try:
                for part in parts:
                    part()
                self.room(after)
            finally:
                self.pdf = pdf
        if trial.page_break_triggered and pdf.get_y() > pdf.t_margin + 1:
            pdf.add_page()
        for part in parts:
            part()

    def heading(self, text: str, needed: float = 45) -> None:
        self.room(needed)
        pdf = self.pdf
        pdf.ln(4)
        pdf.set_draw_color(*LINE)
        pdf.set_line_width(0.3)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + self.width, pdf.get_y())
        pdf.ln(2.5)
        self.font(14, True)
        pdf.cell(self.width, 7, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def subheading(self, text: str) -> None:
        self.room(30)
        self.font(11, True)
        self.pdf.cell(self.width, 6, text, new_x="LMARGIN", new_y="NEXT")

    def table(self, head: Sequence[str], rows: Sequence[Sequence], widths: Sequence[float],
              align: Sequence[str], links: Sequence[Sequence[str]] | None = None) -> None:
        from fpdf.fonts import FontFace

        pdf = self.pdf
        self.room(14)
        self.font(8.5)
        pdf.set_draw_color(*LINE)
        pdf.set_line_width(0.2)
        pdf.set_fill_color(255, 255, 255)  # the tables are not filled (a chart's colour must not carry over)
        with pdf.table(cell_fill_mode="NONE", col_widths=tuple(widths), width=self.width, text_align=tuple(align), line_height=4.6,
                       borders_layout="HORIZONTAL_LINES", padding=(1.2, 1.2),
                       headings_style=FontFace(emphasis="BOLD", color=MUTED, size_pt=8)) as t:
            heading = t.row()
            for h in head:
                heading.cell(h)
            for i, r in enumerate(rows):
                row = t.row()
                for j, cell in enumerate(r):
                    link = links[i][j] if links else ""
                    if link:
                        row.cell(str(cell), link=link, style=FontFace(color=ACCENT, emphasis="UNDERLINE"))
                    else:
                        row.cell(str(cell))
        pdf.ln(2)

    def lines(self, head: Sequence[str], rows: Sequence[Sequence], widths: Sequence[float],
              align: Sequence[str]) -> None:
        """A table of short values, one line a row, drawn with single cells: what `table` draws for such rows,
        several times faster (a page per ambassador holds one). A value too wide for its column, or a heading
        too wide for two lines, takes `table` instead, which wraps."""
        pdf = self.pdf
        scale = self.width / sum(widths)
        widths = [w * scale for w in widths]
        self.font(8.5)
        fits = all(pdf.get_string_width(str(c)) <= w - 2.6 for r in rows for c, w in zip(r, widths))
        self.font(8, True, MUTED)
        heads = [self._split(h, w - 2.6) for h, w in zip(head, widths)]
        if not fits or any(len(h) > 2 for h in heads):
            self.table(head, rows, widths, align)
            return
        depth = max(len(h) for h in heads)
        needed = depth * 3.6 + 3 + len(rows) * 5.8 + 2
        if needed > pdf.page_break_trigger - pdf.t_margin:  # taller than a page: `table` breaks it, heads repeated
            self.table(head, rows, widths, align)
            return
        self.room(needed)
        pdf.set_draw_color(*LINE)
        pdf.set_line_width(0.2)
        x0, y = pdf.l_margin, pdf.get_y()
        for h, w, x, a in zip(heads, widths, self._starts(widths), align):
            for i, part in enumerate(h):
                pdf.set_xy(x + 1.2, y + 1.2 + (depth - len(h) + i) * 3.6)
                pdf.cell(w - 2.4, 3.6, part, align="R" if a == "RIGHT" else "L")
        y += depth * 3.6 + 2.4
        pdf.line(x0, y, x0 + self.width, y)
        self.font(8.5)
        for r in rows:
            for c, w, x, a in zip(r, widths, self._starts(widths), align):
                pdf.set_xy(x + 1.2, y + 0.6)
                pdf.cell(w - 2.4, 4.6, str(c), align="R" if a == "RIGHT" else "L")
            y += 5.8
            pdf.line(x0, y, x0 + self.width, y)
        pdf.set_xy(x0, y + 2)

    def _starts(self, widths: Sequence[float]) -> list[float]:
        out, x = [], self.pdf.l_margin
        for w in widths:
            out.append(x)
            x += w
        return out

    def _split(self, text: str, width: float) -> list[str]:
        """A heading's words on as few lines of `width` as they fit (one word a line at worst)."""
        out: list[str] = []
        for word in text.split():
            if out and self.pdf.get_string_width(f"{out[-1]} {word}") <= width:
                out[-1] = f"{out[-1]} {word}"
            else:
                out.append(word)
        return out or [""]

    def tiles(self, tiles: Sequence[tuple[str, str]], per_row: int = 3) -> None:
        pdf = self.pdf
        gap = 3
        w = (self.width - gap * (per_row - 1)) / per_row
        h = 15
        self.room(h * ((len(tiles) + per_row - 1) // per_row) + 4)
        y0 = pdf.get_y()
        for i, (big, small) in enumerate(tiles):
            x = pdf.l_margin + (i % per_row) * (w + gap)
            y = y0 + (i // per_row) * (h + gap)
            pdf.set_fill_color(*SOFT)
            pdf.rect(x, y, w, h, style="F", round_corners=True, corner_radius=1.5)
            pdf.set_xy(x + 3, y + 2)
            self.font(14, True)
            pdf.cell(w - 6, 6.5, big)
            pdf.set_xy(x + 3, y + 9)
            self.font(7.5, color=MUTED)
            pdf.cell(w - 6, 4, small)
        pdf.set_xy(pdf.l_margin, y0 + ((len(tiles) + per_row - 1) // per_row) * (h + gap) + 1)

    def bars(self, bars: Sequence[Bar], color) -> None:
        pdf = self.pdf
        label_w, value_w, row_h, bar_h = 52, 22, 5.6, 4
        span = self.width - label_w - value_w
        self.room(len(bars) * row_h + 6)
        peak = max((b.value for b in bars), default=0) or 1
        y = pdf.get_y() + 1
        if not bars:
            self.para("Nothing to show for this quarter.")
            return
        for b in bars:
            self.font(8.5)
            pdf.set_xy(pdf.l_margin, y)
            label = b.label if pdf.get_string_width(b.label) < label_w - 3 else b.label[:26].rstrip() + "…"
            pdf.cell(label_w - 3, row_h, label, align="R")
            w = max(b.value, 0) / peak * span
            pdf.set_fill_color(*color)
            if w > 0:
                pdf.rect(pdf.l_margin + label_w, y + (row_h - bar_h) / 2, w, bar_h, style="F")
            pdf.set_xy(pdf.l_margin + label_w + w + 1.5, y)
            pdf.cell(value_w, row_h, b.shown)
            y += row_h
        pdf.set_xy(pdf.l_margin, y + 3)

    def stacks(self, stacks: Sequence[Stack], series: Sequence[Series]) -> None:
        pdf = self.pdf
        height, legend_h, axis_h = 62, 11, 11
        self.room(height + 4)
        x0, y0 = pdf.l_margin, pdf.get_y()
        x = x0
        for s in series:
            pdf.set_fill_color(*rgb(s.color))
            pdf.rect(x, y0 + 1, 3.2, 3.2, style="F")
            self.font(8.5)
            pdf.set_xy(x + 4.5, y0)
            pdf.cell(30, 5.2, s.label)
            x += 8 + pdf.get_string_width(s.label) + 6
        top, bottom = y0 + legend_h + 2, y0 + height - axis_h
        peak = max((sum(st.values) for st in stacks), default=0) or 1
        slot = self.width / max(len(stacks), 1)
        bar_w = min(24, slot * 0.6)
        pdf.set_draw_color(*LINE)
        pdf.line(x0, bottom, x0 + self.width, bottom)
        for i, st in enumerate(stacks):
            cx = x0 + slot * i + slot / 2
            y = bottom
            for s, v in zip(series, st.values):
                if v <= 0:
                    continue
                h = v / peak * (bottom - top)
                y -= h
                pdf.set_fill_color(*rgb(s.color))
                pdf.rect(cx - bar_w / 2, y, bar_w, h, style="F")
                if h >= 4:
                    self.font(8, color=rgb(text_on(s.color)))
                    pdf.set_xy(cx - bar_w / 2, y + h / 2 - 2)
                    pdf.cell(bar_w, 4, str(v), align="C")
            self.font(8, color=MUTED)
            pdf.set_xy(cx - bar_w / 2, y - 4.5)
            pdf.cell(bar_w, 4, str(sum(st.values)), align="C")
            self.font(9, True)
            pdf.set_xy(cx - slot / 2, bottom + 1.5)
            pdf.cell(slot, 4.5, st.label, align="C")
            if st.note:
                self.font(7.5, color=MUTED)
                pdf.set_xy(cx - slot / 2, bottom + 6)
                pdf.cell(slot, 4, st.note, align="C")
        pdf.set_xy(x0, y0 + height + 2)

    def grid(self, rows: Sequence[tuple[str, Sequence[str]]], series: Sequence[Series]) -> None:
        """`charts.quarter_grid` drawn: a row per year, a cell per quarter coloured by its verdict, written in it."""
        pdf = self.pdf
        colors = {s.key: s for s in series}
        label_w, cell, h, gap, head = 14, 20, 5.5, 0.9, 4.5
        self.room(head + min(len(rows), 8) * (h + gap) + 4)
        x0, y = pdf.l_margin, pdf.get_y() + 1

        def heads() -> None:
            self.font(8, color=MUTED)
            for q in range(4):
                pdf.set_xy(x0 + label_w + q * (cell + gap), y)
                pdf.cell(cell, head, f"Q{q + 1}", align="C")

        heads()
        y += head
        pdf.set_draw_color(*LINE)
        pdf.set_line_width(0.2)
        for label, keys in rows:
            if y + h > pdf.page_break_trigger:  # a grid longer than the page goes on, its heads again
                pdf.add_page()
                y = pdf.get_y()
                heads()
                y += head
                pdf.set_draw_color(*LINE)
                pdf.set_line_width(0.2)
            self.font(8.5, True)
            pdf.set_xy(x0, y)
            pdf.cell(label_w - 2, h, label, align="R")
            for q, key in enumerate(keys[:4]):
                x = x0 + label_w + q * (cell + gap)
                s = colors.get(key)
                if s is None:
                    pdf.rect(x, y, cell, h, style="D")
                    continue
                pdf.set_fill_color(*rgb(s.color))
                pdf.rect(x, y, cell, h, style="F")
                self.font(8, color=rgb(text_on(s.color)))
                pdf.set_xy(x, y)
                pdf.cell(cell, h, s.label, align="C")
            y += h + gap
        pdf.set_xy(x0, y + 2)
