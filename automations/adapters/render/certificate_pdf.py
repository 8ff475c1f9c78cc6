"""`FpdfCertificateRenderer`: a certificate as a one-page PDF, drawn with fpdf2.

Any name is drawn with real glyphs: Noto Sans (Latin with every diacritic, Cyrillic, Greek), Noto
Sans Arabic (shaped by HarfBuzz through fpdf2's text shaping, laid out right to left) and Noto Sans
CJK (Chinese, Japanese, Korean). The fonts come from the Python packages in requirements.txt
(`fontpkg-noto-sans`, `fontpkg-noto-sans-arabic`, `cvttf-notosanscjk-regular`; all under the SIL
Open Font License 1.1, see templates/certificates/FONTS.md), never from the machine. fpdf2 embeds
only the glyphs a certificate uses, and a font is added to a document only when its text needs it
(the CJK font is large to read), so a certificate is a few dozen kilobytes.

`covers(char)` says whether some font has a glyph for a character: the job sends no certificate that
would show an empty box.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from functools import cached_property
from pathlib import Path

from ...domain.certificates import Certificate
from ...effects import DocumentFailed
from .fonts import FontFile, packaged_fonts, skip_layout_tables


@dataclass(frozen=True)
class Artwork:
    """What staff can change on the certificate: the program, the lead who signs, the images."""

    program_name: str
    lead_name: str
    lead_title: str
    logo: Path
    signature: Path


def _long_date(d) -> str:
    return f"{d.day} {d:%B %Y}"


BIG_FONT = 4 << 20  # bytes: the fonts `prepare` cuts down (Noto Sans CJK; Noto Sans is 2 MB)
INK = (29, 39, 51)
ACCENT = (78, 94, 158)  # Mautic's blue-violet
MUTED = (96, 108, 122)


class FpdfCertificateRenderer:
    name = "fpdf2"

    def __init__(self, artwork: Artwork, fonts: tuple[FontFile, ...] | None = None):
        self.artwork = artwork
        self._fonts = fonts
        # Fonts cut down to the characters of this run's certificates (see `prepare`), by font index.
        self._prepared: dict[int, Path] = {}
        self._prepared_chars: frozenset[str] = frozenset()
        self._folder: tempfile.TemporaryDirectory | None = None

    @cached_property
    def fonts(self) -> tuple[FontFile, ...]:
        fonts = self._fonts if self._fonts is not None else packaged_fonts()
        for f in fonts:
            if not f.path.is_file():
                raise FileNotFoundError(f"the certificate font {f.path} is missing (pip install -r requirements.txt)")
        return fonts

    @cached_property
    def _cmaps(self) -> tuple[frozenset[int], ...]:
        from fontTools.ttLib import TTFont

        out = []
        for f in self.fonts:
            with TTFont(f.path, lazy=True) as font:
                out.append(frozenset(font.getBestCmap()))
        return tuple(out)

    def covers(self, char: str) -> bool:
        """Whether one of the fonts has a glyph for `char` (marks and joiners that draw nothing count as
        covered when the primary font has them)."""
        return any(ord(char) in cmap for cmap in self._cmaps)

    def check(self) -> list[str]:
        """What is missing for drawing certificates (fonts, images), for doctor; empty when all is there."""
        missing = []
        try:
            _ = self.fonts  # loading the fonts is the check
        except FileNotFoundError as exc:
            missing.append(str(exc))
        for what, path in (("logo", self.artwork.logo), ("signature image", self.artwork.signature)):
            if not path.is_file():
                missing.append(f"the certificate {what} {path} does not exist")
        return missing

    def texts(self, cert: Certificate) -> list[str]:
        """Every text drawn on this certificate."""
        art = self.artwork
        return [cert.name, cert.title, cert.statement, art.program_name.upper(), art.lead_name, art.lead_title,
                _long_date(cert.day), "This certifies that"]

    def prepare(self, certificates: Iterable[Certificate]) -> None:
        """Before drawing many certificates: cut each big font they need (the 16 MB CJK font, over a second
        to read for each PDF otherwise) down to the characters they use, with every shaping rule kept,
        once, into a temporary folder, so each PDF reads a small font instead. A certificate with a
        character outside what was prepared is drawn from the whole font."""
        from fontTools import subset
        from fontTools.ttLib import TTFont

        texts = [t for c in certificates for t in self.texts(c)]
        chars = frozenset("".join(texts)) | frozenset(map(chr, range(0x20, 0x7F)))
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="certificate-fonts-")
        self._prepared = {}
        for i in self._needed(texts):
            f = self.fonts[i]
            if f.path.stat().st_size < BIG_FONT:
                continue  # a small font costs less to read whole than to cut down
            options = subset.Options()
            options.layout_features = ["*"]  # Arabic joining forms, ligatures, marks, kerning
            options.name_IDs = ["*"]
            options.notdef_outline = True
            with TTFont(f.path, lazy=True) as font:
                subsetter = subset.Subsetter(options)
                subsetter.populate(unicodes=[ord(c) for c in chars if ord(c) in self._cmaps[i]])
                subsetter.subset(font)
                path = Path(self._folder.name) / f"{f.family}{f.path.suffix}"
                font.save(path)
            self._prepared[i] = path
        self._prepared_chars = chars

    def _path(self, i: int, texts: list[str]) -> Path:
        if i in self._prepared and all(set(t) <= self._prepared_chars for t in texts):
            return self._prepared[i]
        return self.fonts[i].path

    def _needed(self, texts: list[str]) -> list[int]:
        """Indexes of the fonts these texts need: the primary font always, the others only when a
        character is in none of the fonts before them."""
        needed = {0}
        cmaps = self._cmaps
        for text in texts:
            for ch in set(text):
                code = ord(ch)
                if ch.isspace() or code in cmaps[0]:
                    continue
                for i, cmap in enumerate(cmaps[1:], start=1):
                    if code in cmap:
                        needed.add(i)
                        break
        return sorted(needed)

    def render(self, cert: Certificate) -> bytes:
        """The certificate as PDF bytes; DocumentFailed when an image or a font cannot be used."""
        from fpdf import FPDF
        from fpdf.errors import FPDFException

        art = self.artwork
        day = _long_date(cert.day)
        texts = self.texts(cert)
        try:
            pdf = FPDF(orientation="L", unit="mm", format="A4")
            pdf.set_creation_date(datetime.combine(cert.day, time(12), tzinfo=UTC))
            pdf.set_title(f"{cert.title}: {cert.name}")
            pdf.set_author(art.program_name)
            pdf.set_creator("Ambassador Program automation")
            pdf.set_auto_page_break(False)
            families = []
            for i in self._needed(texts):
                f = self.fonts[i]
                pdf.add_font(f.family, "", str(self._path(i, texts)))
                families.append(f.family)
            skip_layout_tables(pdf)
            if len(families) > 1:
                pdf.set_fallback_fonts(families[1:], exact_match=False)
            pdf.set_text_shaping(True)
            pdf.add_page()
            self._draw(pdf, cert, families[0], day)
            return bytes(pdf.output())
        except (FPDFException, OSError, ValueError) as exc:
            raise DocumentFailed(f"cannot draw the certificate: {exc}") from None

    def _draw(self, pdf, cert: Certificate, family: str, day: str) -> None:
        art = self.artwork
        w, h = pdf.w, pdf.h
        # A double frame
        pdf.set_draw_color(*ACCENT)
        pdf.set_line_width(1.2)
        pdf.rect(10, 10, w - 20, h - 20)
        pdf.set_line_width(0.3)
        pdf.rect(14, 14, w - 28, h - 28)
        pdf.image(str(art.logo), x=(w - 28) / 2, y=22, w=28)

        def line(text: str, size: float, y: float, color=INK) -> None:
            pdf.set_font(family, size=size)
            pdf.set_text_color(*color)
            pdf.set_xy(24, y)
            pdf.cell(w=w - 48, h=size * 0.5, text=text, align="C")

        line(art.program_name.upper(), 11, 54, MUTED)
        line(cert.title, 30, 64, ACCENT)
        line("This certifies that", 13, 86, MUTED)
        line(cert.name, 34, 96)
        pdf.set_draw_color(*MUTED)
        pdf.set_line_width(0.2)
        pdf.line(w / 2 - 80, 117, w / 2 + 80, 117)
        line(cert.statement, 14, 123)
        line(day, 12, 136, MUTED)
        # The signature block: image, rule, the lead's name and role
        sig_w = 46
        pdf.image(str(art.signature), x=(w - sig_w) / 2, y=148, w=sig_w)
        pdf.set_draw_color(*INK)
        pdf.line(w / 2 - 35, 172, w / 2 + 35, 172)
        line(art.lead_name, 13, 174)
        if art.lead_title.strip() and art.lead_title.strip() != art.lead_name.strip():
            line(art.lead_title, 10, 181, MUTED)

