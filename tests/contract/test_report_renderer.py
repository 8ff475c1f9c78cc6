"""The ReportRenderer contract (`ports.ReportRenderer`): the quarterly report drawn as one file, the same report
always giving the same bytes (a rerun rewrites nothing), a different report different bytes, people's text never
becoming markup. Adapters: `JinjaReportRenderer` (the HTML page and the newsletter's Markdown, from the templates
staff edit) and `FpdfReportRenderer` (the PDF).

The report is the one the `report` job works out from the example program (its check-ins synced first), so every
section the templates draw has rows."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from tests.conftest import ROOT, copy_example

QUARTER = "2026Q3"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from automations import bootstrap
    from automations.config import load_config
    from automations.jobs import report as report_job
    from automations.jobs import sync_checkins

    config = copy_example(tmp_path_factory.mktemp("report-contract"))
    sync_checkins.run(bootstrap.build(load_config(config), date(2026, 11, 23), False))
    ctx = bootstrap.build(load_config(config), date(2026, 11, 23), True)
    ctx.makers.report_renderers = ()
    return report_job.run(ctx, QUARTER).data["report"]


class ReportRendererContract:
    """A subclass gives `renderer` (a factory: each call a new renderer, as a new run makes) and `text(bytes)`:
    what a reader of the file sees, as text."""

    @pytest.fixture
    def renderer(self):
        raise NotImplementedError

    @pytest.fixture
    def text(self):
        raise NotImplementedError

    @pytest.fixture(scope="class")
    def drawn(self):
        """Files drawn in this class, by program name (None: the report as it is): each drawn once."""
        return {}

    @pytest.fixture
    def draw(self, renderer, report, drawn):
        made = renderer()

        def draw(program=None):
            if program not in drawn:
                drawn[program] = made.render(dataclasses.replace(report, program=program) if program else report)
            return drawn[program]

        return draw

    def test_the_same_report_gives_the_same_bytes(self, renderer, report, draw):
        """Drawn again, by one renderer and by a new one (another run): byte for byte the same."""
        data = draw()
        assert data and renderer().render(report) == data

    def test_a_different_report_gives_different_bytes(self, draw):
        assert draw("Programa Embaixadores São Paulo") != draw()

    def test_it_says_which_quarter(self, draw, text):
        assert "Q3" in text(draw())

    def test_the_program_is_named_as_written(self, draw, text):
        """The program's name, in any script, is what the reader sees."""
        assert "Embaixadores São Paulo" in " ".join(text(draw("Programa Embaixadores São Paulo")).split())

    def test_it_names_itself_and_its_file(self, renderer):
        made = renderer()
        assert made.name and made.filename.rpartition(".")[2] in ("html", "pdf", "md")


def _html_text(data: bytes) -> str:
    from html.parser import HTMLParser

    parts: list[str] = []
    parser = HTMLParser(convert_charrefs=True)
    parser.handle_data = parts.append
    parser.feed(data.decode("utf-8"))
    return "".join(parts)


class TestJinjaHtmlReport(ReportRendererContract):
    @pytest.fixture
    def renderer(self):
        from automations.adapters.render.report_jinja import JinjaReportRenderer

        return lambda: JinjaReportRenderer(ROOT / "templates" / "report", "report.html")

    @pytest.fixture
    def text(self):
        return _html_text

    def test_markup_in_a_name_is_escaped(self, draw):
        page = draw("<script>alert(1)</script>").decode()
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


class TestJinjaNewsletter(ReportRendererContract):
    @pytest.fixture
    def renderer(self):
        from automations.adapters.render.report_jinja import JinjaReportRenderer

        return lambda: JinjaReportRenderer(ROOT / "templates" / "report", "newsletter.md")

    @pytest.fixture
    def text(self):
        return lambda data: data.decode("utf-8")


class TestFpdfReport(ReportRendererContract):
    @pytest.fixture(scope="class")
    def shared(self):
        from automations.adapters.render.report_pdf import FpdfReportRenderer

        return FpdfReportRenderer()

    @pytest.fixture
    def renderer(self, shared):
        # One renderer for the class (its fonts read once), and a new one where the contract asks for another run.
        from automations.adapters.render.report_pdf import FpdfReportRenderer

        made = iter([shared])
        return lambda: next(made, None) or FpdfReportRenderer()

    @pytest.fixture
    def text(self):
        from io import BytesIO

        from pypdf import PdfReader

        return lambda data: "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)

    def test_it_is_a_pdf(self, draw):
        assert draw().startswith(b"%PDF-")
