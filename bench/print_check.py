"""The quarterly report's page printed by a real browser: headings kept with what follows them, charts whole,
tables that repeat their header row, nothing wider than the paper.

    python -m bench.print_check [--ambassadors 1000] [--quarters 12] [--seed 1] [--as-of 2026-11-23]
                                [--quarter 2026Q3] [--repo PATH] [--workdir DIR] [--chromium PATH]
    python -m bench.print_check --html PAGE.html [...]     # check pages already written
    python -m bench.print_check --self-test                # pages made with one fault of each kind: all found?

Builds `report --quarter 2026Q3` as of 2026-11-23 (the quarter final) of the example program in `data/` and of
a generated program (`bench/generate.py`, 1,000 ambassadors x 12 quarters by default), each in a fresh folder
with `python -m automations` in its own process, prints each `report.html` to an A4 PDF with Debian's Chromium
(`--headless --print-to-pdf`: the print style as a browser applies it), and reads the PDF page by page with
pypdfium2. It checks, on each page's text:

- a heading (h2, h3) shares its page with the text that follows it (never the last text of a page);
- each chart (`svg.chart`, its labels in order) is whole on one page, the page of its section's heading, and
  each of its labels is printed whole (an SVG cuts what runs past its box);
- each table row is whole on one page, and each page a table runs onto shows its header row again;
- nothing is wider than the page (Chromium would shrink every page to fit it, and cut what is still too wide) and
  no text runs past the right margin.

It prints, per program, the pages, the seconds (building the report, printing it, reading it), each finding, and
the first few pages left less than half full before a page that opens with a heading (a heading pushed on, not a
fault). Exit 0: nothing found; 1: a finding; 2: no Chromium at /usr/bin/chromium (Debian's package `chromium`;
neither `.ci/run` nor the test suite installs it: it is heavy, and this is a check to run by hand after changing
the page's template or its style).

`--repo PATH` builds with another checkout's code, templates and example (the page of a branch or of main, read
only: its files are copied, nothing is written there). The PDFs stay in the work folder (`bench/out/print/`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CHROMIUM = Path("/usr/bin/chromium")
AS_OF, QUARTER = "2026-11-23", "2026Q3"
# As the machine's notes start it: no network of its own, no first-run work, a fresh profile each time.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-pdf-header-footer"]
MM = 72 / 25.4  # PDF points per millimetre
RIGHT_MARGIN_MM = 14  # the page's `@page { margin: 16mm 14mm }`
_WS = re.compile(r"\s+")
# A chart's first label is looked for this many characters on at most (after text before it that was not
# matched): its labels also appear in the table under it, and a chart printed in part must not be taken for it.
CHART_SLACK = 40
NOTES_SHOWN = 5  # pages left short before a heading: the first few (a page per person has one each)


def squeeze(text: str) -> str:
    """Text without any white space, in lower case: a PDF's line breaks and a page's wrapping differ from the HTML's,
    and what the style writes in capitals (`text-transform`) is printed so, but the letters are the same."""
    return _WS.sub("", text).lower()


# --- what the page holds, from its HTML --------------------------------------------------------------------------

@dataclass
class Block:
    kind: str  # "heading", "text", "chart", "table"
    text: str = ""  # heading: its text; text: a run of visible text; chart: its labels in order
    head: str = ""  # table: the header row's text
    rows: list[str] = field(default_factory=list)  # table: each body row's text; chart: each label


class PageBlocks(HTMLParser):
    """The page's visible content in document order: headings, runs of text, charts (their labels), tables (their
    header row and each body row). What is not drawn (style, script, an SVG's title and desc) is left out."""

    HIDDEN = frozenset({"style", "script", "title", "desc", "head"})

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._hidden = 0
        self._heading: list[str] | None = None
        self._chart: list[str] | None = None
        self._svg_depth = 0
        self._table: Block | None = None
        self._part = ""  # "head" or "body" inside a table
        self._row: list[str] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self._hidden += 1
        elif tag in ("h1", "h2", "h3") and self._table is None:
            self._heading = []
        elif tag == "svg":
            self._svg_depth += 1
            if self._svg_depth == 1:
                self._chart = []
        elif tag == "table":
            self._table = Block("table")
        elif tag in ("thead", "tbody") and self._table is not None:
            self._part = tag[1:]
        elif tag == "tr" and self._table is not None:
            self._row = []

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in ("h1", "h2", "h3") and self._heading is not None:
            self.blocks.append(Block("heading" if tag != "h1" else "text", " ".join("".join(self._heading).split())))
            self._heading = None
        elif tag == "svg":
            self._svg_depth -= 1
            if self._svg_depth == 0 and self._chart is not None:
                self.blocks.append(Block("chart", " ".join(self._chart), rows=self._chart))
                self._chart = None
        elif tag == "tr" and self._table is not None and self._row is not None:
            text = " ".join(" ".join(self._row).split())
            if self._part == "head":
                self._table.head = text
            else:
                self._table.rows.append(text)
            self._row = None
        elif tag == "table" and self._table is not None:
            self.blocks.append(self._table)
            self._table, self._part = None, ""

    def handle_data(self, data):
        if self._hidden or not data.strip():
            return
        if self._chart is not None:
            self._chart.append(data.strip())
        elif self._row is not None:
            self._row.append(data)
        elif self._heading is not None:
            self._heading.append(data)
        elif self._table is None:
            self.blocks.append(Block("text", " ".join(data.split())))


# --- what the printed PDF holds, page by page ----------------------------------------------------------------------

@dataclass
class Printed:
    texts: list[str]  # each page's text, squeezed
    lowest: list[float]  # each page: how far down its text reaches, as a share of the page's height
    overflow: list[float]  # each page: how far its text reaches past the right margin, in mm (0: not at all)
    scale: list[float]  # each page: the size its text is printed at (1: as the style says; below: shrunk to fit)


def read_pdf(path: Path) -> Printed:
    import pypdfium2  # the test requirements' PDF reader; imported here so that --help needs nothing

    texts, lowest, overflow, scale = [], [], [], []
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        for page in pdf:
            width, height = page.get_size()
            tp = page.get_textpage()
            texts.append(squeeze(tp.get_text_range()))
            bottom, right = height, 0.0
            for i in range(tp.count_rects()):
                _, b, r, _ = tp.get_rect(i)
                bottom, right = min(bottom, b), max(right, r)
            lowest.append((height - bottom) / height)
            overflow.append(max(0.0, (right - (width - RIGHT_MARGIN_MM * MM)) / MM))
            # Chromium draws a CSS pixel as 0.75 pt; a page whose content is wider than the paper is drawn smaller,
            # the whole of it. The scale most of the page's text is drawn at says which.
            scales = Counter(round(abs(obj.get_matrix().get()[0]) / 0.75, 3)
                             for obj in page.get_objects(filter=[pypdfium2.raw.FPDF_PAGEOBJ_TEXT]))
            scale.append(scales.most_common(1)[0][0] if scales else 1.0)
            tp.close()
            page.close()
    finally:
        pdf.close()
    return Printed(texts, lowest, overflow, scale)


class Cursor:
    """Where the reading has got to in the printed pages: each piece of the page is looked for from there on, on the
    same page or the next (the page's pieces come in order, none of them a page long), so a short text is found
    where it is printed, not earlier or pages later in the document."""

    def __init__(self, printed: Printed):
        self.texts = printed.texts
        self.page, self.offset = 0, 0

    def find(self, text: str, *, advance: bool = True, within: int | None = None, flows: bool = False) -> int | None:
        """The page (0-based) that holds `text` whole, from the cursor on; None when neither the cursor's page nor
        the next does (it is split between two pages, or not printed): the cursor stays where it was. `within`:
        only if it starts at most that many characters on (on the next page: from its top). `flows`: a text that
        runs on over the page break (a paragraph's) is found too, as on the page where it ends.

        A text that runs over the break is recognised before the next page is searched whole: the same words
        may well be printed again further down (a name in two lists), and must not be taken for it."""
        needle = squeeze(text)
        if not needle:
            return self.page
        here = self.texts[self.page]
        at = here.find(needle, self.offset)
        if at >= 0 and (within is None or at - self.offset <= within):
            if advance:
                self.offset = at + len(needle)
            return self.page
        if self.page + 1 >= len(self.texts):
            return None
        there = self.texts[self.page + 1]
        for cut in range(1, len(needle)):
            if here.endswith(needle[:cut]) and there.startswith(needle[cut:]) and len(here) - cut >= self.offset:
                if not flows:
                    return None
                if advance:
                    self.page, self.offset = self.page + 1, len(needle) - cut
                return self.page if advance else self.page + 1
        at = there.find(needle)
        if at >= 0 and (within is None or at <= within):
            if advance:
                self.page, self.offset = self.page + 1, at + len(needle)
            return self.page if advance else self.page + 1
        return None


def check(blocks: list[Block], printed: Printed) -> list[str]:
    """The findings, one sentence each, with 1-based page numbers."""
    found: list[str] = []
    cur = Cursor(printed)
    heading, heading_page = "", 0
    for i, block in enumerate(blocks):
        if block.kind == "heading":
            page = cur.find(block.text)
            if page is None:
                found.append(f"heading {block.text!r}: not found in the PDF (split over a page break?)")
                continue
            heading, heading_page = block.text, page
            follow = _first_text(blocks[i + 1]) if i + 1 < len(blocks) else ""
            if follow:
                where = cur.find(follow[:40], advance=False)
                if where is not None and where != page:
                    found.append(f"page {page + 1}: heading {block.text!r} is the last text of the page; "
                                 f"what follows it starts on page {where + 1}")
        elif block.kind == "text":
            cur.find(block.text, flows=True)
        elif block.kind == "chart":
            found += _check_chart(block, cur, heading, heading_page)
        elif block.kind == "table":
            found += _check_table(block, cur, printed, heading)
    for page, mm in enumerate(printed.overflow):
        if mm > 0.5:
            found.append(f"page {page + 1}: text runs {mm:.1f} mm past the right margin")
    shrunk = [page for page, k in enumerate(printed.scale) if k < 0.99]
    if shrunk:
        found.append(f"page {_ranges(shrunk)}: printed at {min(printed.scale):.0%} of the style's size: something is "
                     "wider than the page, and Chromium shrunk to fit (what is still too wide is cut at the edge)")
    return found


def _check_chart(chart: Block, cur: Cursor, heading: str, heading_page: int) -> list[str]:
    """A chart's labels, one by one: those not printed whole (cut at the chart's edge: an SVG draws nothing outside
    its box), and the pages the others are on (one, its heading's). The labels are printed one after the other,
    nothing between them, so each is looked for right after the one before (a cut label's own length further
    on): a cut "15" is not taken for a "15" printed further down, in the table under the chart, say."""
    pages, cut = set(), []
    slack = CHART_SLACK
    for label in chart.rows:
        page = cur.find(label, within=slack)
        if page is None:
            cut.append(label)
            slack += len(squeeze(label))
        else:
            pages.add(page)
            slack = 3
    found = []
    if cut:
        found.append(f"chart under {heading!r}: {len(cut)} of its {len(chart.rows)} labels not printed whole (cut at "
                     f"the chart's edge?), e.g. {cut[0]!r}")
    if len(pages) > 1:
        found.append(f"chart under {heading!r}: split over pages {_ranges(sorted(pages))}")
    elif pages and pages != {heading_page}:
        found.append(f"chart under {heading!r}: on page {min(pages) + 1}, its heading on page {heading_page + 1}")
    return found


def _ranges(pages: list[int]) -> str:
    """0-based page numbers as 1-based ranges: [0, 1, 2, 5] -> "1-3, 6"."""
    out: list[str] = []
    for p in pages:
        if out and out[-1].split("-")[-1] == str(p):
            out[-1] = f"{out[-1].split('-')[0]}-{p + 1}"
        else:
            out.append(str(p + 1))
    return ", ".join(out)


def _first_text(block: Block) -> str:
    if block.kind == "table":
        return block.head or (block.rows[0] if block.rows else "")
    return block.text


def _check_table(table: Block, cur: Cursor, printed: Printed, heading: str) -> list[str]:
    found: list[str] = []
    pages: list[int] = []
    head = squeeze(table.head)
    for n, row in enumerate(table.rows, 1):
        page = cur.find(row)
        if page is None:
            found.append(f"table under {heading!r}: row {n} ({row[:40]!r}) is split over a page break")
            continue
        if not pages or pages[-1] != page:
            pages.append(page)
            before = printed.texts[page][:cur.offset - len(squeeze(row))]
            if head and head not in before:
                found.append(f"page {page + 1}: the table under {heading!r} goes on without its header row")
    return found


def short_pages(blocks: list[Block], printed: Printed) -> list[str]:
    """Pages (not the last) whose text ends above half the page, and the heading that opens the next one."""
    headings = [squeeze(b.text) for b in blocks if b.kind == "heading"]
    notes = []
    for page in range(len(printed.texts) - 1):
        if printed.lowest[page] < 0.5:
            nxt = printed.texts[page + 1]
            opener = next((h for h in headings if nxt.startswith(h)), None)
            if opener:
                notes.append(f"page {page + 1} ends at {printed.lowest[page]:.0%} of its height; page {page + 2} "
                             f"opens with a heading")
    return notes


# --- building, printing ---------------------------------------------------------------------------------------------

def run_cli(repo: Path, config: Path, as_of: str, *args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(repo), "AUTOMATIONS_PRIVACY_KEY": "print-check-key-0123456789"}
    proc = subprocess.run([sys.executable, "-m", "automations", "--config", str(config), "--as-of", as_of, *args],
                          capture_output=True, text=True, env=env, cwd=config.parent, timeout=600)
    if proc.returncode == 2:
        raise SystemExit(f"{' '.join(args)} stopped: {proc.stderr.strip().splitlines()[-1:]}")


def build_example(repo: Path, folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copytree(repo / "data", folder / "data", ignore=shutil.ignore_patterns(".*"))
    shutil.copy(repo / "config.yaml", folder / "config.yaml")
    shutil.copytree(repo / "templates", folder / "templates")
    return folder / "config.yaml"


def build_generated(repo: Path, folder: Path, ambassadors: int, quarters: int, seed: int) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([sys.executable, str(HERE / "generate.py"), str(folder), "--ambassadors", str(ambassadors),
                    "--quarters", str(quarters), "--seed", str(seed), "--config", str(repo / "config.yaml")],
                   check=True, capture_output=True)
    shutil.copytree(repo / "templates", folder / "templates")
    return folder / "config.yaml"


def report_page(repo: Path, config: Path, as_of: str, quarter: str) -> Path:
    run_cli(repo, config, as_of, "sync-checkins")
    run_cli(repo, config, as_of, "report", "--quarter", quarter)
    page = next(config.parent.glob(f"**/{quarter}/report.html"), None)
    if page is None:
        raise SystemExit(f"report wrote no report.html under {config.parent}")
    return page


def print_pdf(chromium: Path, page: Path, pdf: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="print-check-profile-") as profile:
        proc = subprocess.run([str(chromium), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                               f"--print-to-pdf={pdf}", page.resolve().as_uri()],
                              capture_output=True, text=True, timeout=300)
    if not pdf.exists():
        raise SystemExit(f"Chromium printed no PDF (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")


def check_page(chromium: Path, name: str, page: Path, pdf: Path, build_seconds: float | None) -> int:
    if pdf.exists():
        pdf.unlink()
    started = time.perf_counter()
    print_pdf(chromium, page, pdf)
    printing = time.perf_counter() - started
    started = time.perf_counter()
    blocks = PageBlocks(page.read_text(encoding="utf-8")).blocks
    printed = read_pdf(pdf)
    found = check(blocks, printed)
    reading = time.perf_counter() - started
    built = f"built in {build_seconds:.1f} s, " if build_seconds is not None else ""
    headings = sum(b.kind == "heading" for b in blocks)
    print(f"{name}: {len(printed.texts)} pages A4 ({pdf.stat().st_size / 1e6:.1f} MB), {headings} headings, "
          f"{sum(b.kind == 'chart' for b in blocks)} charts, {sum(b.kind == 'table' for b in blocks)} tables; "
          f"{built}printed in {printing:.1f} s, read in {reading:.1f} s")
    alone = [f for f in found if "last text of the page" in f]
    print(f"  headings alone at a page's foot: {len(alone)}; other findings: {len(found) - len(alone)}; "
          f"text printed at {min(printed.scale):.0%} to {max(printed.scale):.0%} of the style's size, "
          f"at most {max(printed.overflow):.1f} mm past the right margin")
    for line in found:
        print(f"  - {line}")
    notes = short_pages(blocks, printed)
    for line in notes[:NOTES_SHOWN]:
        print(f"  (note) {line}")
    if len(notes) > NOTES_SHOWN:
        print(f"  (note) and {len(notes) - NOTES_SHOWN} more pages like these")
    print(f"  PDF: {pdf}")
    return len(found)


# Pages made to print badly, one fault of each kind, to show that each check can fail (`--self-test`). Each fault
# starts a page of its own, so that one does not move the next; the text too wide for the page is a page apart, as
# Chromium shrinks a whole document whose content is wider than its pages.
_TOP = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>print check: a bad page</title><style>
@page { size: A4; margin: 16mm 14mm; } body { margin: 0; font: 14px/1.45 sans-serif; }
section + section { break-before: page; } td, th { text-align: left; } tr { break-inside: avoid; }
</style></head><body>
"""
BAD_PAGES = [_TOP + """
<section><h2>A heading left at the foot</h2><div style="break-before: page"><p>What follows the lonely heading.</p></div>
</section><section><div style="height: 170mm"></div>
<h2>A chart pushed away from its heading</h2><p>The chart's lead, still under the heading.</p>
<svg class="chart" width="600" height="380" viewBox="0 0 600 380"><title>not drawn</title>
<text x="10" y="20">First bar label</text><text x="10" y="360">Last bar label</text></svg>
</section><section><h2>A chart whose label is cut</h2><p>The last label runs past the chart's right edge.</p>
<svg class="chart" width="600" height="60" viewBox="0 0 600 60"><text x="10" y="20">A short label</text>
<text x="480" y="50">a label too long for the chart</text></svg>
</section><section><h2>A table whose header row is not repeated</h2>
<table><thead style="display: table-row-group"><tr><th>Column one</th><th>Column two</th></tr></thead><tbody>
""" + "".join(f"<tr><td>row {n}, first cell</td><td>row {n}, second cell</td></tr>" for n in range(60)) + """</tbody></table>
</section><section><h2>A row taller than a page</h2>
<table><thead><tr><th>Long</th></tr></thead><tbody><tr style="break-inside: auto"><td>""" + "<br>".join(
    f"line {n} of the long cell" for n in range(90)) + """</td></tr></tbody></table>
</section></body></html>""", _TOP + """<section><h2>Text wider than the page</h2>
<p style="white-space: nowrap">""" + "wide " * 60 + """</p></section></body></html>"""]
EXPECTED = {"alone": "heading 'A heading left at the foot' is the last text",
            "chart": "chart under 'A chart pushed away from its heading'",
            "cut": "chart under 'A chart whose label is cut': 1 of its 2 labels not printed whole",
            "header": "the table under 'A table whose header row is not repeated' goes on without its header row",
            "row": "table under 'A row taller than a page': row 1",
            "shrunk": "shrunk to fit"}


def self_test(chromium: Path, workdir: Path) -> int:
    """Print BAD_PAGES and check that every one of their faults is found."""
    found: list[str] = []
    for n, text in enumerate(BAD_PAGES, 1):
        page, pdf = workdir / f"bad-page-{n}.html", workdir / f"bad-page-{n}.pdf"
        page.write_text(text, encoding="utf-8")
        pdf.unlink(missing_ok=True)
        print_pdf(chromium, page, pdf)
        found += check(PageBlocks(text).blocks, read_pdf(pdf))
    missed = [kind for kind, words in EXPECTED.items() if not any(words in f for f in found)]
    print(f"self-test: pages made with {len(EXPECTED)} faults; {len(found)} findings:")
    for line in found:
        print(f"  - {line}")
    print("  every fault found" if not missed else f"  NOT FOUND: {', '.join(missed)}")
    return 1 if missed else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ambassadors", type=int, default=1000)
    ap.add_argument("--quarters", type=int, default=12)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--as-of", default=AS_OF, help=f"the day the report is made (default {AS_OF})")
    ap.add_argument("--quarter", default=QUARTER, help=f"the report's quarter (default {QUARTER})")
    ap.add_argument("--repo", type=Path, default=REPO, help="the checkout whose code, templates and example to use")
    ap.add_argument("--workdir", type=Path, default=HERE / "out" / "print")
    ap.add_argument("--html", type=Path, nargs="+", help="check these pages as they are (nothing built)")
    ap.add_argument("--self-test", action="store_true", help="print a page made with one fault of each kind, and "
                    "check that each is found")
    ap.add_argument("--chromium", type=Path, default=CHROMIUM, help=f"the browser (default {CHROMIUM})")
    a = ap.parse_args(argv)
    if not a.chromium.exists():
        print(f"No Chromium at {a.chromium}: install Debian's package (apt-get install -y chromium) to print the "
              "report; nothing was checked.", file=sys.stderr)
        return 2
    a.workdir.mkdir(parents=True, exist_ok=True)
    if a.self_test:
        return self_test(a.chromium, a.workdir)
    problems = 0
    if a.html:
        for n, page in enumerate(a.html, 1):
            problems += check_page(a.chromium, str(page), page, a.workdir / f"{n}-{page.stem}.pdf", None)
        return 1 if problems else 0
    repo = a.repo.resolve()
    print(f"code, templates and example from {repo}; report --quarter {a.quarter} as of {a.as_of}; "
          f"Chromium {_version(a.chromium)}")
    programs = [("example", lambda folder: build_example(repo, folder)),
                (f"generated {a.ambassadors} x {a.quarters}",
                 lambda folder: build_generated(repo, folder, a.ambassadors, a.quarters, a.seed))]
    for (name, make), slug in zip(programs, ("example", f"a{a.ambassadors}_q{a.quarters}_s{a.seed}")):
        started = time.perf_counter()
        page = report_page(repo, make(a.workdir / slug), a.as_of, a.quarter)
        problems += check_page(a.chromium, name, page, a.workdir / f"{slug}.pdf", time.perf_counter() - started)
    return 1 if problems else 0


def _version(chromium: Path) -> str:
    proc = subprocess.run([str(chromium), "--version"], capture_output=True, text=True, timeout=60)
    return (proc.stdout.strip().removeprefix("Chromium ").split() or ["(version unknown)"])[0]


if __name__ == "__main__":
    sys.exit(main())
