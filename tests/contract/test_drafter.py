"""The Drafter contract (`ports.Drafter`): a proposal's review document made from the template with every
placeholder filled (a field's own text kept literally, whatever it holds), shared, and a link a person can click;
a placeholder left unfilled stops it before anything is made or shared.

Adapters: `HtmlDrafter` (a Jinja2 file in a drafts folder, the local backend) and `GoogleDocsDrafter` (Drive
`files.copy`, Docs `batchUpdate`, Drive `permissions.create`, through google-api-python-client against the fake
Google, the template a Doc in a Shared Drive folder)."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest

from automations.effects import DocumentFailed

TEMPLATE = "Review of {{ title }}\nAuthor: {{ author }}\nSummary: {{ summary }}\n"
FIELDS = {"title": "Segments <after> meetups & more", "author": "Олег Петров",
          "summary": "It says {{ author }} literally, and =SUM(A1)."}
SHARE = ["priya@example.org", "reviewer@example.org"]


@dataclass
class Harness:
    make: Callable[[str], object]  # a drafter over this template text
    text: Callable[[str], str]  # the visible text of the document a reference names
    made: Callable[[], int]  # documents made so far (files, Drive copies)


class DrafterContract:
    @pytest.fixture
    def harness(self):
        raise NotImplementedError

    def test_every_placeholder_is_filled_with_the_fields_text(self, harness):
        """The title's markup characters and the summary's `{{ author }}` come out as the author wrote them."""
        reference = harness.make(TEMPLATE).create("blog-1", FIELDS["title"], FIELDS, SHARE)
        text = harness.text(reference)
        for value in FIELDS.values():
            assert value in text
        assert text.count("{{") == 1  # the summary's own, nothing of the template's

    def test_an_unfilled_placeholder_stops_before_anything_is_made(self, harness):
        drafter = harness.make(TEMPLATE + "Due: {{ due_date }}\n")
        with pytest.raises(DocumentFailed, match="due_date"):
            drafter.create("blog-2", "A title", FIELDS, SHARE)
        assert harness.made() == 0

    def test_the_link_opens_the_document(self, harness):
        """What a mail carries: a web link, or a `file:` URI of the file's absolute path, which exists."""
        drafter = harness.make(TEMPLATE)
        link = drafter.link(drafter.create("blog-3", "A title", FIELDS, SHARE))
        parts = urlsplit(link)
        if parts.scheme == "file":
            path = Path(url2pathname(parts.path))
            assert path.is_absolute() and path.exists()
        else:
            assert parts.scheme == "https" and parts.netloc

    def test_a_web_link_is_left_as_it_is(self, harness):
        """A link staff put in the Document field opens as it is, whatever made it."""
        url = "https://docs.google.com/document/d/1StaffDoc/edit"
        assert harness.make(TEMPLATE).link(url) == url

    def test_each_proposal_has_its_own_document(self, harness):
        drafter = harness.make(TEMPLATE)
        first = drafter.create("blog-4", "One", {**FIELDS, "title": "One"}, SHARE)
        second = drafter.create("blog-5", "Two", {**FIELDS, "title": "Two"}, SHARE)
        assert first != second and "One" in harness.text(first) and "Two" in harness.text(second)

    def test_it_has_a_name(self, harness):
        assert harness.make(TEMPLATE).name


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


class TestHtmlDrafter(DrafterContract):
    @pytest.fixture
    def harness(self, tmp_path):
        from automations.adapters.render.html_drafter import HtmlDrafter

        drafts = tmp_path / "drafts"

        def make(template):
            path = tmp_path / "templates" / "review.html"
            path.parent.mkdir(exist_ok=True)
            path.write_text("<html><body><pre>" + template + "</pre></body></html>", encoding="utf-8")
            return HtmlDrafter(path, drafts, base=tmp_path)

        def text(reference):
            parser = _Text()
            parser.feed((tmp_path / reference).read_text(encoding="utf-8"))
            return "".join(parser.parts)

        return Harness(make, text, lambda: len(list(drafts.glob("*.html"))) if drafts.exists() else 0)

    def test_markup_in_a_field_is_escaped(self, harness, tmp_path):
        """A title is a person's text: it never becomes markup in the page."""
        reference = harness.make(TEMPLATE).create("blog-6", "x", {**FIELDS, "title": "<script>x()</script>"}, SHARE)
        page = (tmp_path / reference).read_text(encoding="utf-8")
        assert "<script>" not in page and html.escape("<script>x()</script>") in page


class TestGoogleDocsDrafter(DrafterContract):
    FOLDER, TEMPLATE_ID = "1ReviewsFolder", "1ReviewTemplate"

    @pytest.fixture
    def harness(self, google_env):
        from automations.adapters.google.docs_drafter import GoogleDocsDrafter
        from tests.contract.conftest import SERVICE_ACCOUNT

        fake = google_env.fake
        fake.add_folder(self.FOLDER, "Blog reviews", shared_drive=True, share_with=(SERVICE_ACCOUNT,))
        templates = []

        def make(template):
            doc_id = f"{self.TEMPLATE_ID}{len(templates)}"
            templates.append(doc_id)
            fake.add_document(doc_id, "Review template", template, parent=self.FOLDER)
            return GoogleDocsDrafter(google_env.access, doc_id, self.FOLDER)

        def doc_id(reference):
            return urlsplit(reference).path.split("/")[3]

        def made():
            return sum(1 for f_id, f in fake.files().items()
                       if f["mimeType"].endswith("document") and f_id not in templates)

        return Harness(make, lambda ref: fake.document_text(doc_id(ref)), made)

    def test_it_is_shared_with_each_person_without_googles_mail(self, harness, google_env):
        """Each author and reviewer may edit it; Google sends no notification (the job's mail says what it is)."""
        reference = harness.make(TEMPLATE).create("blog-7", "A title", FIELDS, SHARE)
        doc = google_env.fake.files()[urlsplit(reference).path.split("/")[3]]
        people = {p.get("emailAddress"): p for p in doc["permissions"] if p.get("emailAddress") in SHARE}
        assert sorted(people) == sorted(SHARE)
        assert all(p["role"] == "writer" and p.get("sendNotificationEmail") is False for p in people.values())
