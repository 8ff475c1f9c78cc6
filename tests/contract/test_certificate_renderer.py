"""The CertificateRenderer contract (`ports.CertificateRenderer`): a certificate drawn as PDF bytes, its person's
name in any script the fonts cover, the same certificate the same bytes, and what is missing said before drawing.
Adapter: `FpdfCertificateRenderer` (fpdf2, the packaged Noto fonts, the program's logo and signature)."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path

import pytest

from automations.domain.certificates import Certificate
from automations.effects import DocumentFailed
from tests.conftest import ROOT


def certificate(name: str) -> Certificate:
    return Certificate(key="yearly:x@example.org", kind="yearly", email="x@example.org", name=name,
                       title="Certificate of Service", statement="for 3 years of service as an ambassador",
                       day=date(2026, 11, 25), years=3)


class CertificateRendererContract:
    """A subclass gives `make(images_present=True)`: a renderer over artwork whose images exist (or not), and
    `text(bytes)`: what a reader of the PDF sees."""

    @pytest.fixture
    def make(self):
        raise NotImplementedError

    @pytest.fixture
    def text(self):
        raise NotImplementedError

    def test_a_certificate_shows_its_name_and_statement(self, make, text):
        shown = " ".join(text(make().render(certificate("Zoë Müller"))).split())
        assert "Zoë Müller" in shown and "3 years of service" in shown

    def test_the_same_certificate_gives_the_same_bytes(self, make):
        """A resend after a crash attaches the same file."""
        renderer = make()
        assert renderer.render(certificate("Ана")) == renderer.render(certificate("Ана"))

    def test_prepared_or_not_it_draws_the_same(self, make, text):
        """`prepare` is optional: a renderer prepared for some names draws them, and others too."""
        renderer = make()
        renderer.prepare([certificate("Γιώργος")])
        assert "Γιώργος" in text(renderer.render(certificate("Γιώργος")))
        assert "Zoë" in text(renderer.render(certificate("Zoë")))

    def test_it_says_what_it_can_draw(self, make):
        renderer = make()
        assert renderer.covers("a") and renderer.covers("Ж") and not renderer.covers("\U0010fffd")

    def test_ready_when_nothing_is_missing(self, make):
        assert make().check() == []

    def test_missing_images_are_named_before_drawing(self, make):
        """`check` names each missing image (what doctor says); drawing without them fails the document, never
        a certificate drawn without its logo."""
        renderer = make(images_present=False)
        missing = renderer.check()
        assert len(missing) == 2 and all("does not exist" in m for m in missing)
        with pytest.raises(DocumentFailed):
            renderer.render(certificate("Ana"))

    def test_it_has_a_name(self, make):
        assert make().name


class TestFpdfCertificateRenderer(CertificateRendererContract):
    @pytest.fixture(scope="class")
    def ready(self):
        from automations.adapters.render.certificate_pdf import (
            Artwork,
            FpdfCertificateRenderer,
        )

        art = ROOT / "templates" / "certificates"
        return FpdfCertificateRenderer(Artwork("Mautic Ambassador Program", "Ruth Cheesley", "Program lead",
                                               art / "logo.svg", art / "signature.png"))

    @pytest.fixture
    def make(self, ready, tmp_path):
        from automations.adapters.render.certificate_pdf import (
            Artwork,
            FpdfCertificateRenderer,
        )

        def make(images_present=True):
            if images_present:
                return ready  # the fonts read once for the class
            return FpdfCertificateRenderer(Artwork("P", "L", "T", Path(tmp_path / "no-logo.svg"),
                                                   Path(tmp_path / "no-signature.png")))

        return make

    @pytest.fixture
    def text(self):
        from pypdf import PdfReader

        return lambda data: "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)
