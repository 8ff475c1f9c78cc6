"""`FpdfCertificateRenderer`: a certificate as a one-page PDF, drawn with fpdf2.

Any name is drawn with real glyphs: Noto Sans (Latin with every diacritic, Cyrillic, Greek), Noto Sans
Arabic (shaped by HarfBuzz through fpdf2's text shaping, laid out right to left) and Noto Sans CJK in the
face of the name's language (Japanese, Korean, Simplified or Traditional Chinese, Hong Kong: `cjk_face`).
The fonts come from the Python packages in requirements.txt (`fontpkg-noto-sans`,
`fontpkg-noto-sans-arabic`, `noto-cjk-sans-otc`; all under the SIL Open Font License 1.1, see
templates/certificates/FONTS.md), never from the machine.

**Fonts prepared once a run.** `prepare` (the job calls it with the run's certificates; `render` calls it
for a certificate with a character or a face not prepared yet) cuts each font the certificates need down
to the run's characters, fixes the variable fonts at the regular weight and gives the CJK face TrueType
outlines, into a temporary folder (`fonts.cut_font`). Each PDF then reads fonts of a few kilobytes, where
reading and cutting the whole variable Noto Sans for each PDF was 86 % of a certificate's time. fpdf2
embeds only the glyphs a certificate uses, and a font is added to a document only when its text needs it.

**A text layer that gives back the name.** Copying the name, searching for it or a screen reader gets
exactly the name drawn, in every script (tests/test_certificates.py checks it with pypdf and poppler):
- text is shaped only where the script needs it (Arabic, and combining marks); elsewhere each character
  is one glyph, mapped to itself;
- a line holding Arabic is drawn in Noto Sans Arabic alone (it has the Latin letters too): one run of
  glyphs in visual order, which readers put back in logical order;
- of the glyphs HarfBuzz makes for one cluster (Noto Sans Arabic draws the dots of ب ف ن ي as marks of
  their own), the widest carries the cluster's characters in the ToUnicode map and the others map to
  nothing (`<code> <>`). fpdf2 gave the characters to the first glyph, often the dot placed beside its
  letter (poppler then split the word there), and left the letter unmapped (pypdf read its code as a
  control character);
- the CJK face is embedded with TrueType outlines (see `fonts.cut_font`).
These two changes to what fpdf2 does (`_ClusterFont`, `_TextLayerOutput`) rest on the internals of fpdf2
2.8.9 (pinned in requirements.txt); the tests check their result on every script.

`covers(char)` says whether some font has a glyph for a character: the job sends no certificate that
would show an empty box.
"""

from __future__ import annotations

import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from functools import cached_property
from pathlib import Path

from ...domain.certificates import YEARLY, Certificate
from ...effects import DocumentFailed
from ...mail.catalogs import Catalogs, Localizer
from .fonts import CJK_FACES, DEFAULT_CJK_FACE, FontFile, cut_font, packaged_fonts, skip_layout_tables, with_face


@dataclass(frozen=True)
class Artwork:
    """What staff can change on the certificate: the program, the lead who signs, the images."""

    program_name: str
    lead_name: str
    lead_title: str
    logo: Path
    signature: Path


@dataclass(frozen=True)
class Wording:
    """A certificate's words in one language: its title, the line above the name, the one under it, the day."""

    language: str
    title: str
    intro: str
    statement: str
    day: str


def _long_date(d) -> str:
    return f"{d.day} {d:%B %Y}"


INK = (29, 39, 51)
ACCENT = (78, 94, 158)  # Mautic's blue-violet
MUTED = (96, 108, 122)


#: What a roster's language says about the CJK face (lower case; a tag's region or script subtag counts).
LANGUAGE_FACES = {
    "ja": "JP", "jpn": "JP", "japanese": "JP", "日本語": "JP",
    "ko": "KR", "kor": "KR", "korean": "KR", "한국어": "KR",
    "zh-hans": "SC", "zh-cn": "SC", "zh-sg": "SC", "zh-my": "SC", "simplified chinese": "SC",
    "chinese (simplified)": "SC", "简体中文": "SC", "zh": "SC", "zho": "SC", "chi": "SC", "chinese": "SC",
    "mandarin": "SC", "中文": "SC",
    "zh-hant": "TC", "zh-tw": "TC", "traditional chinese": "TC", "chinese (traditional)": "TC", "繁體中文": "TC",
    "zh-hk": "HK", "zh-mo": "HK", "yue": "HK", "cantonese": "HK", "廣東話": "HK",
}


def cjk_face(languages: Iterable[str], name: str) -> str:
    """The Noto Sans CJK face (a key of `fonts.CJK_FACES`) to draw this name with: Japanese when it has kana,
    Korean when it has hangul; otherwise the first of the person's languages that names one (`ja`,
    `Japanese`, `ko`, `zh-Hans`, `zh-CN`, `Simplified Chinese`, `zh-TW`, `zh-HK`...; a plain `zh` or
    `Chinese` is Simplified); otherwise Traditional Chinese (`fonts.DEFAULT_CJK_FACE`), the face every CJK
    name had before."""
    if any("\u3040" <= c <= "\u30ff" or "\u31f0" <= c <= "\u31ff" or "\uff66" <= c <= "\uff9f" for c in name):
        return "JP"
    if any("\uac00" <= c <= "\ud7af" or "\u1100" <= c <= "\u11ff" or "\u3130" <= c <= "\u318f" for c in name):
        return "KR"
    for lang in languages:
        tag = " ".join(lang.strip().lower().replace("_", "-").split())
        parts = tag.split("-")
        for key in (tag, "-".join(parts[:2]), "-".join(parts[::2][:2]), parts[0]):
            if key in LANGUAGE_FACES:
                return LANGUAGE_FACES[key]
    return DEFAULT_CJK_FACE


def _needs_shaping(text: str) -> bool:
    """Whether a text needs HarfBuzz: right-to-left letters (joined forms), or a combining mark."""
    return any(unicodedata.bidirectional(c) in ("R", "AL", "AN") or unicodedata.combining(c) for c in text)


def _is_arabic(c: str) -> bool:
    return unicodedata.bidirectional(c) in ("R", "AL")


class FpdfCertificateRenderer:
    name = "fpdf2"

    def __init__(self, artwork: Artwork, fonts: tuple[FontFile, ...] | None = None, catalogs: Catalogs | None = None):
        self.catalogs = catalogs
        self.artwork = artwork
        self._fonts = fonts
        # The fonts cut down to the characters of this run's certificates (see `prepare`), by family.
        self._prepared: dict[str, Path] = {}
        self._prepared_chars: frozenset[str] = frozenset()
        self._generation = 0
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
        out = []
        for f in self.fonts:
            with f.open() as font:
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

    def wording(self, cert: Certificate) -> Wording:
        """What the certificate says, in the first of the person's languages with a complete catalog (the
        mail's), else in English (the domain's own words)."""
        language = self.catalogs.choose(cert.languages or (cert.language,)) if self.catalogs is not None else "en"
        if language == "en" or self.catalogs is None:
            return Wording("en", cert.title, "This certifies that", cert.statement, _long_date(cert.day))
        words = Localizer(language, self.catalogs.translations(language))
        g = words.translations
        if cert.kind == YEARLY:
            title = g.gettext("Certificate of Service")
            statement = g.ngettext("for one year of service as an ambassador of the %(program)s",
                                   "for %(count)s years of service as an ambassador of the %(program)s",
                                   cert.years) % {"count": cert.years, "program": self.artwork.program_name}
        else:
            title = g.gettext("Certificate of Attendance")
            statement = g.gettext("for taking part in %(event)s") % {"event": cert.event_name}
        return Wording(language, title, g.gettext("This certifies that"), statement, words.date(cert.day))

    def texts(self, cert: Certificate) -> list[str]:
        """Every text drawn on this certificate."""
        art = self.artwork
        w = self.wording(cert)
        return [cert.name, w.title, w.statement, art.program_name.upper(), art.lead_name, art.lead_title, w.day,
                w.intro]

    def faces(self, cert: Certificate) -> list[FontFile]:
        """The fonts this certificate needs, in the order they are tried: the primary font always, the
        others only when a character is in none of the fonts before them; the CJK font in the face of the
        name (`cjk_face`)."""
        needed = {0}
        cmaps = self._cmaps
        for text in self.texts(cert):
            for ch in set(text):
                code = ord(ch)
                if ch.isspace() or code in cmaps[0]:
                    continue
                for i, cmap in enumerate(cmaps[1:], start=1):
                    if code in cmap:
                        needed.add(i)
                        break
        out = []
        for i in sorted(needed):
            f = self.fonts[i]
            if f.path.suffix.lower() in (".ttc", ".otc"):
                f = with_face(f, cjk_face(cert.languages, cert.name))
            out.append(f)
        return out

    def prepare(self, certificates: Iterable[Certificate]) -> None:
        """Before drawing many certificates: cut each font they need down to the characters they use (and
        the printable ASCII), with every shaping rule kept, fixed at the regular weight, once, into a
        temporary folder (`fonts.cut_font`), so each PDF reads a font of a few kilobytes. Called again with
        more characters (a certificate `render` meets that was not prepared), it cuts them again with the
        characters of before and the new ones."""
        certificates = list(certificates)
        chars = self._prepared_chars | frozenset("".join(t for c in certificates for t in self.texts(c))) \
            | frozenset(map(chr, range(0x20, 0x7F)))
        wanted = {f.family: f for c in certificates for f in self.faces(c)}
        if chars == self._prepared_chars and set(wanted) <= set(self._prepared):
            return
        if chars != self._prepared_chars:  # the fonts cut before are cut again with the new characters
            wanted = {f.family: f for f in self._all_faces() if f.family in self._prepared} | wanted
            self._prepared = {}
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="certificate-fonts-")
        self._generation += 1
        for family, f in wanted.items():
            if family not in self._prepared:
                path = Path(self._folder.name) / f"{family}-{self._generation}.ttf"
                self._prepared[family] = cut_font(f, chars, path)
        self._prepared_chars = chars

    def _all_faces(self) -> list[FontFile]:
        out: list[FontFile] = []
        for f in self.fonts:
            if f.path.suffix.lower() in (".ttc", ".otc"):
                out.extend(with_face(f, region) for region in CJK_FACES)
            else:
                out.append(f)
        return out

    def render(self, cert: Certificate) -> bytes:
        """The certificate as PDF bytes; DocumentFailed when an image or a font cannot be used."""
        from fpdf import FPDF
        from fpdf.errors import FPDFException

        art = self.artwork
        words = self.wording(cert)
        try:
            faces = self.faces(cert)
            if not (set("".join(self.texts(cert))) <= self._prepared_chars
                    and all(f.family in self._prepared for f in faces)):
                self.prepare([cert])
            pdf = FPDF(orientation="L", unit="mm", format="A4")
            pdf.set_creation_date(datetime.combine(cert.day, time(12), tzinfo=UTC))
            pdf.set_title(f"{words.title}: {cert.name}")
            pdf.set_lang(words.language)
            pdf.set_author(art.program_name)
            pdf.set_creator("Ambassador Program automation")
            pdf.set_auto_page_break(False)
            for f in faces:
                pdf.add_font(f.family, "", str(self._prepared[f.family]))
            _cluster_fonts(pdf)
            skip_layout_tables(pdf)
            families = [f.family for f in faces]
            if len(families) > 1:
                pdf.set_fallback_fonts(families[1:], exact_match=False)
            arabic = next((f.family for f in faces if f.family == "NotoSansArabic"), "")
            pdf.add_page()
            self._draw(pdf, cert, families[0], words, arabic)
            return bytes(pdf.output(output_producer_class=_text_layer_output()))
        except (FPDFException, OSError, ValueError) as exc:
            raise DocumentFailed(f"cannot draw the certificate: {exc}") from None

    def _family_for(self, text: str, family: str, arabic: str) -> str:
        """A line holding Arabic is drawn in Noto Sans Arabic alone when it has every character of the line
        (Latin too): one run of glyphs, which text extraction puts back in logical order."""
        if arabic and any(_is_arabic(c) for c in text):
            cmap = next(m for f, m in zip(self.fonts, self._cmaps, strict=True) if f.family == arabic)
            if all(c.isspace() or ord(c) in cmap for c in text):
                return arabic
        return family

    def _draw(self, pdf, cert: Certificate, family: str, words: Wording, arabic: str = "") -> None:
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
            pdf.set_text_shaping(_needs_shaping(text))
            pdf.set_font(self._family_for(text, family, arabic), size=size)
            width = pdf.get_string_width(text)
            if width > w - 52:  # a long name or event: smaller, so that all of it is on the page
                pdf.set_font_size(size * (w - 52) / width)
            pdf.set_text_color(*color)
            pdf.set_xy(24, y)
            pdf.cell(w=w - 48, h=size * 0.5, text=text, align="C")

        line(art.program_name.upper(), 11, 54, MUTED)
        line(words.title, 30, 64, ACCENT)
        line(words.intro, 13, 86, MUTED)
        line(cert.name, 34, 96)
        pdf.set_draw_color(*MUTED)
        pdf.set_line_width(0.2)
        pdf.line(w / 2 - 80, 117, w / 2 + 80, 117)
        line(words.statement, 14, 123)
        line(words.day, 12, 136, MUTED)
        # The signature block: image, rule, the lead's name and role
        sig_w = 46
        pdf.image(str(art.signature), x=(w - sig_w) / 2, y=148, w=sig_w)
        pdf.set_draw_color(*INK)
        pdf.line(w / 2 - 35, 172, w / 2 + 35, 172)
        line(art.lead_name, 13, 174)
        if art.lead_title.strip() and art.lead_title.strip() != art.lead_name.strip():
            line(art.lead_title, 10, 181, MUTED)
        if cert.verify_url:  # bottom right, inside the frame: the credential's verification page
            draw_qr(pdf, cert.verify_url, x=w - 20 - QR_SIZE, y=h - 20 - QR_SIZE, size=QR_SIZE)


#: The QR code's side on the certificate, in mm (its quiet zone of four modules included).
QR_SIZE = 26.0


def draw_qr(pdf, url: str, x: float, y: float, size: float) -> None:
    """A QR code (segno, error correction M) of `url` drawn as filled squares, black on white with its quiet zone."""
    import segno

    code = segno.make_qr(url, error="m", boost_error=False)
    rows = [list(r) for r in code.matrix_iter(scale=1, border=4)]
    module = size / len(rows)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):  # one rectangle per run of dark modules in a row
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            pdf.rect(x + start * module, y + r * module, (c - start) * module, module, style="F")


def _cluster_fonts(pdf) -> None:
    """Make fpdf2's fonts of this document map each shaped cluster's characters to its widest glyph
    (`_ClusterFont`). Does nothing with fonts of another kind."""
    from fpdf.fonts import TTFFont

    for font in getattr(pdf, "fonts", {}).values():
        if type(font) is TTFFont:
            font.__class__ = _cluster_font_class()


def _cluster_font_class():
    cls = globals().get("_ClusterFont")
    if cls is not None:
        return cls
    from fpdf.fonts import TTFFont

    class _ClusterFont(TTFFont):
        """fpdf2's font, whose shaped text gives each cluster's characters to the glyph that draws the letter
        (the widest of the cluster) and none to its marks, instead of to the first glyph (fpdf2 2.8.9's
        `TTFFont.shape_text`, otherwise the same)."""

        __slots__ = ()

        def shape_text(self, text, font_size_pt, text_shaping_params):
            if not text:
                return []
            infos, positions = self.perform_harfbuzz_shaping(text, font_size_pt, text_shaping_params)
            starts = sorted({int(g.cluster) for g in infos})
            ends = dict(zip(starts, [*starts[1:], len(text)], strict=True))
            carrier: dict[int, int] = {}
            for n, (info, pos) in enumerate(zip(infos, positions, strict=True)):
                c = int(info.cluster)
                if c not in carrier or pos.x_advance > positions[carrier[c]].x_advance:
                    carrier[c] = n
            out = []
            for n, (info, pos) in enumerate(zip(infos, positions, strict=True)):
                c = int(info.cluster)
                chars = tuple(ord(ch) for ch in text[c:ends[c]]) if carrier[c] == n else ()
                name = self.ttfont.getGlyphName(info.codepoint)
                width = round(self.scale * self.ttfont["hmtx"].metrics[name][0])
                glyph = self.subset.get_glyph(glyph=info.codepoint, unicode=chars, glyph_name=name,
                                              glyph_width=width)
                if glyph is None:
                    continue
                out.append({
                    "mapped_char": self.subset.pick_glyph(glyph), "x_advance": pos.x_advance,
                    "y_advance": pos.y_advance, "x_offset": pos.x_offset, "y_offset": pos.y_offset,
                    "force_positioning": bool(width != pos.x_advance or pos.x_offset or pos.y_offset
                                              or pos.y_advance)})
            return out

    globals()["_ClusterFont"] = _ClusterFont
    return _ClusterFont


def _text_layer_output():
    """fpdf2's PDF writer, which also writes into each font's ToUnicode map the glyphs that stand for no
    character (a mark of a cluster: `<code> <>`), so that a reader reads nothing for them rather than
    the code itself as a character."""
    cls = globals().get("_TextLayerOutput")
    if cls is not None:
        return cls
    from fpdf.output import OutputProducer

    class _TextLayerOutput(OutputProducer):
        def _add_fonts(self, *args, **kwargs):
            objects = super()._add_fonts(*args, **kwargs)
            for font in self.fpdf.fonts.values():
                to_unicode = getattr(objects.get(font.i), "to_unicode", None)
                subset = getattr(font, "subset", None)
                contents = getattr(to_unicode, "_contents", None)
                if subset is None or not isinstance(contents, bytes) or b"endcmap" not in contents:
                    continue
                codes = sorted(code for glyph, code in subset.items() if glyph is not None and not glyph.unicode)
                if not codes:
                    continue
                blocks = b"".join(
                    f"{len(codes[i:i + 100])} beginbfchar\n".encode()
                    + b"".join(f"<{code:04X}> <>\n".encode() for code in codes[i:i + 100]) + b"endbfchar\n"
                    for i in range(0, len(codes), 100))
                to_unicode._contents = contents.replace(b"endcmap", blocks + b"endcmap", 1)
                to_unicode.length = len(to_unicode._contents)
            return objects

    globals()["_TextLayerOutput"] = _TextLayerOutput
    return _TextLayerOutput
