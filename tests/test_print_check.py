"""bench/print_check.py's reading of a printed report, without a browser: the page's blocks from its HTML, and
the findings on printed pages given as text (what pypdfium2 reads from Chromium's PDF). The printing itself is
checked by hand with Chromium (`python -m bench.print_check --self-test`, then on the report)."""

from __future__ import annotations

from bench.print_check import PageBlocks, Printed, check, short_pages, squeeze

PAGE = """<!DOCTYPE html><html lang="en"><head><title>not drawn</title><style>h2 { color: red }</style></head><body>
<h1>Quarterly report</h1>
<section><h2>Activities by kind</h2><p class="lead">Every activity reported.</p>
<svg class="chart"><title>Activities by kind, 2026Q3</title><text>Content</text><text>17</text>
<text>Events</text><text>15</text></svg>
<table><thead><tr><th>Kind</th><th class="n">Activities</th></tr></thead>
<tbody><tr><td>Content</td><td class="n">17</td></tr><tr><td>Events</td><td class="n">15</td></tr>
<tr><td>Talks</td><td class="n">10</td></tr></tbody></table></section>
<section><h2>Perks earned</h2><p>Ana Costa <b class="new">new</b>, Budi Santoso</p></section>
</body></html>"""


def printed(*pages: str, scale: float = 1.0) -> Printed:
    """Pages as Chromium prints them: their text (wrapped anyhow), each filled to 90 %, nothing past the margin."""
    return Printed([squeeze(p) for p in pages], [0.9] * len(pages), [0.0] * len(pages), [scale] * len(pages))


HEAD = "Quarterly report\nActivities by kind\nEvery activity\nreported.\n"
CHART = "Content 17\nEvents 15\n"
TABLE_HEAD = "Kind Activities\n"


class TestPageBlocks:
    def test_what_is_drawn_in_order(self):
        """Headings, text, a chart's labels (not its title) and a table's header row and rows, in the page's order;
        the style and the titles are left out."""
        blocks = PageBlocks(PAGE).blocks
        assert [(b.kind, b.text) for b in blocks][:4] == [
            ("text", "Quarterly report"), ("heading", "Activities by kind"), ("text", "Every activity reported."),
            ("chart", "Content 17 Events 15")]
        table = blocks[4]
        assert (table.kind, table.head, table.rows) == ("table", "Kind Activities", ["Content 17", "Events 15",
                                                                                     "Talks 10"])
        assert [b.text for b in blocks if b.kind == "heading"] == ["Activities by kind", "Perks earned"]
        assert not any("not drawn" in b.text or "color" in b.text for b in blocks)


class TestCheck:
    def test_a_page_that_prints_well(self):
        """Everything with its heading, the header row again on the page the table runs onto: nothing found."""
        pages = printed(HEAD + CHART + TABLE_HEAD + "Content 17\nEvents 15",
                        TABLE_HEAD + "Talks 10\nPerks earned\nAna Costa NEW, Budi Santoso")
        assert check(PageBlocks(PAGE).blocks, pages) == []

    def test_a_heading_at_a_pages_foot(self):
        """The heading is the last text of page 1, its lead on page 2."""
        pages = printed("Quarterly report\nActivities by kind",
                        "Every activity reported.\n" + CHART + TABLE_HEAD + "Content 17 Events 15 Talks 10\n"
                        "Perks earned Ana Costa new, Budi Santoso")
        found = check(PageBlocks(PAGE).blocks, pages)
        assert found == ["page 1: heading 'Activities by kind' is the last text of the page; what follows it starts "
                         "on page 2", "chart under 'Activities by kind': on page 2, its heading on page 1"]

    def test_a_chart_apart_from_its_heading(self):
        pages = printed(HEAD, CHART + TABLE_HEAD + "Content 17 Events 15 Talks 10 Perks earned Ana Costa new, "
                        "Budi Santoso")
        assert check(PageBlocks(PAGE).blocks, pages) == [
            "chart under 'Activities by kind': on page 2, its heading on page 1"]

    def test_a_chart_label_cut(self):
        """A label printed in part (an SVG cuts at its box) is named."""
        pages = printed(HEAD + "Content 17\nEvents 1" + TABLE_HEAD + "Content 17 Events 15 Talks 10 Perks earned "
                        "Ana Costa new, Budi Santoso")
        found = check(PageBlocks(PAGE).blocks, pages)
        assert found == ["chart under 'Activities by kind': 1 of its 4 labels not printed whole (cut at the chart's "
                         "edge?), e.g. '15'"]

    def test_a_table_that_goes_on_without_its_header_row(self):
        pages = printed(HEAD + CHART + TABLE_HEAD + "Content 17\nEvents 15",
                        "Talks 10\nPerks earned\nAna Costa new, Budi Santoso")
        assert check(PageBlocks(PAGE).blocks, pages) == [
            "page 2: the table under 'Activities by kind' goes on without its header row"]

    def test_a_row_split_over_a_page_break(self):
        pages = printed(HEAD + CHART + TABLE_HEAD + "Content 17\nEvents", "15\n" + TABLE_HEAD + "Talks 10\n"
                        "Perks earned\nAna Costa new, Budi Santoso")
        found = check(PageBlocks(PAGE).blocks, pages)
        assert found[0] == "table under 'Activities by kind': row 2 ('Events 15') is split over a page break"

    def test_pages_shrunk_to_fit(self):
        """Text drawn smaller than the style says: something was wider than the paper."""
        pages = printed(HEAD + CHART + TABLE_HEAD + "Content 17 Events 15 Talks 10 Perks earned Ana Costa new, "
                        "Budi Santoso", scale=0.69)
        found = check(PageBlocks(PAGE).blocks, pages)
        assert len(found) == 1 and found[0].startswith("page 1: printed at 69% of the style's size")


def test_a_paragraph_running_over_a_page_break():
    """A paragraph's text runs on over the break, and the same names are printed again further down (a second list):
    the reading follows the paragraph, not the second list, and finds the heading between them."""
    page = ("<!DOCTYPE html><html><body><h2>Perks earned</h2><p>Budi Santoso, Emily Carter</p>"
            "<h3>Eligible for funding</h3><p>Budi Santoso, Emily Carter</p></body></html>")
    pages = printed("Perks earned\nBudi", "Santoso, Emily Carter\nEligible for funding\nBudi Santoso, Emily Carter")
    assert check(PageBlocks(page).blocks, pages) == []
    pages = printed("Perks earned\nBudi Santoso, Emily Carter\nEligible for funding", "Budi Santoso, Emily Carter")
    assert check(PageBlocks(page).blocks, pages) == [
        "page 1: heading 'Eligible for funding' is the last text of the page; what follows it starts on page 2"]


def test_short_pages_before_a_heading():
    """A page left under half full before a page that opens with a heading is a note; one full page is not."""
    blocks = PageBlocks(PAGE).blocks
    pages = printed(HEAD + CHART + TABLE_HEAD + "Content 17 Events 15 Talks 10", "Perks earned Ana Costa new, "
                    "Budi Santoso")
    assert short_pages(blocks, pages) == []
    pages.lowest[0] = 0.3
    assert short_pages(blocks, pages) == ["page 1 ends at 30% of its height; page 2 opens with a heading"]
