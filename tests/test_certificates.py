"""Certificates: names in every script drawn with real glyphs (text layer, embedded fonts, a rendered
picture), one certificate per year of service and per event attended, none twice, none in a dry run."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import unicodedata
from collections import Counter
from datetime import date, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pypdf
import pypdfium2
import pytest
from fontTools.ttLib import TTFont

from automations import bootstrap
from automations.adapters.render.certificate_pdf import Artwork, FpdfCertificateRenderer, cjk_face
from automations.adapters.render.fonts import CJK_FACES, cjk_font, cut_font, packaged_fonts
from automations.config import load_config
from automations.domain.certificates import (
    EVENT,
    YEARLY,
    Attendee,
    Certificate,
    event_id,
    plan_events,
    plan_yearly,
    unprintable,
    yearly_due,
)
from automations.domain.messages import Attachment, PlannedMessage
from automations.jobs import certificates as job
from automations.mail.message import Rendered, Sender, compose
from tests.conftest import go_live, outbox_messages
from tests.factories import ambassador

ROOT = Path(__file__).resolve().parent.parent
ART = Artwork("Mautic Ambassador Program", "Ruth Cheesley", "Program lead", ROOT / "templates/certificates/logo.svg",
              ROOT / "templates/certificates/signature.png")
NAMES = {
    "latin": "Zoë Müller",
    "serbian": "Ђорђе Петровић",
    "russian": "Дмитрий Шостакович",
    "greek": "Γιώργος Παπαδόπουλος",
    "arabic": "محمد عبد الله",
    "chinese": "李小龙",
    "japanese": "山田太郎",
}
#: A name in every script of the benchmark's NAMES (bench/bench_certificates.py), with the cases that broke the
#: text layer: letters with a dot drawn as a mark of its own (ب ف ن ي), a stacked Vietnamese diacritic, kana,
#: hangul, names mixing scripts.
TEXT_LAYER_NAMES = {
    "latin": "Zoë Müller", "latin-diacritics": "Nguyễn Thị Lan Þórsdóttir Łukasz Wiśniewski Çağla Öztürk",
    "cyrillic": "Ђорђе Петровић", "russian": "Дмитрий Шостакович", "greek": "Γιώργος Παπαδόπουλος",
    "arabic": "محمد عبد الله", "arabic-dots": "فاطمة الحسن", "arabic-hamza": "أحمد المنصور", "arabic-yeh": "ليلى",
    "chinese": "李小龙", "chinese-traditional": "王芳", "japanese": "山田太郎", "japanese-kana": "佐藤はなこ",
    "korean": "김민준", "mixed": "Zoë 李小龙 Дмитрий", "mixed-arabic": "Zoë محمد",
}
#: Characters poppler's pdftotext writes around right-to-left text (RLE ... PDF: "right-to-left embedding",
#: "pop directional formatting") to keep its display order; they are not part of the text.
BIDI_EMBEDDING = re.compile("[\u202a-\u202e\u2066-\u2069]")
#: Where rendered pages are kept for a person to look at (CERTIFICATE_PNG_DIR=/some/folder), else a temp dir.
PNG_DIR = os.environ.get("CERTIFICATE_PNG_DIR", "")


@pytest.fixture(scope="module")
def renderer() -> FpdfCertificateRenderer:
    """One renderer for the module, its fonts prepared once for every name drawn here, as a run prepares
    them for its certificates."""
    r = FpdfCertificateRenderer(ART)
    names = [*NAMES.values(), *TEXT_LAYER_NAMES.values(), "直骨"]
    r.prepare([certificate_for(n, (lang,)) for n in names for lang in ("en", "ja", "ko", "zh-Hans", "zh-Hant")
               if lang == "en" or not n.isascii()])
    return r


def certificate(name: str, kind: str = YEARLY) -> Certificate:
    return Certificate(key=f"{kind}:x@example.org", kind=kind, email="x@example.org", name=name,
                       title="Certificate of Service", statement="for 3 years of service as an ambassador",
                       day=date(2026, 11, 25), years=3)


def _letters(text: str) -> Counter:
    """The letters of a text, without spaces or control characters, as a multiset."""
    return Counter(c for c in text if not c.isspace() and unicodedata.category(c)[0] != "C")


def embedded_fonts(pdf: bytes) -> dict[str, bytes]:
    """Each embedded font program of the first page, by its PDF name (subset tag removed)."""
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    out = {}
    for font in page["/Resources"]["/Font"].values():
        font = font.get_object()
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        stream = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
        out[str(font["/BaseFont"]).split("+", 1)[-1]] = stream.get_object().get_data()
    return out


def pypdf_text(pdf: bytes) -> list[str]:
    """The page's text as pypdf extracts it, line by line (ends of lines stripped)."""
    return [line.strip() for line in pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text().splitlines()]


def poppler_text(pdf: bytes, tmp_path: Path) -> list[str] | None:
    """The page's text as poppler's pdftotext extracts it (its reading order), line by line, without the
    embedding marks it writes around right-to-left runs; None where poppler-utils is not installed."""
    if shutil.which("pdftotext") is None:
        return None
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return [BIDI_EMBEDDING.sub("", line).strip() for line in out.stdout.decode("utf-8").splitlines()]


def certificate_for(name: str, languages: tuple[str, ...] = ()) -> Certificate:
    cert = certificate(name)
    return Certificate(**{**cert.__dict__, "languages": languages})


class TestTextLayer:
    @pytest.mark.parametrize("script", sorted(TEXT_LAYER_NAMES))
    def test_the_name_extracts_exactly_with_pypdf(self, renderer, script):
        """pypdf gives back the name drawn, as written (logical order, no control character, nothing
        missing), on a line of its own."""
        name = TEXT_LAYER_NAMES[script]
        lines = pypdf_text(renderer.render(certificate(name)))
        assert name in lines, lines[2:5]
        assert not any(unicodedata.category(c) == "Cc" for line in lines for c in line)

    @pytest.mark.parametrize("script", sorted(TEXT_LAYER_NAMES))
    def test_the_name_extracts_exactly_with_poppler(self, renderer, script, tmp_path):
        """poppler's pdftotext (where poppler-utils is installed) gives back the name drawn, a right-to-left
        one in logical order. On a line mixing Latin and Arabic, poppler's own reordering moves the space at
        the boundary of the two directions (it takes it into the right-to-left run): there the same words
        and letters are checked."""
        name = TEXT_LAYER_NAMES[script]
        lines = poppler_text(renderer.render(certificate(name)), tmp_path)
        if lines is None:
            # No poppler here: pypdf's check above stands alone; this one then checks the PDF opens in pypdf.
            assert pypdf_text(renderer.render(certificate(name)))
            return
        if script == "mixed-arabic":
            line = next(ln for ln in lines if "Zo" in ln)
            assert _letters(line) == _letters(name) and "Zoë" in line and "محمد" in line, lines
        else:
            assert name in lines, lines

    def test_prepared_fonts_and_a_name_prepared_later(self, renderer):
        """A run prepares the fonts for its names; a certificate with characters outside them (a name
        `render` meets afterwards) is drawn with them too, and extracts exactly."""
        r = FpdfCertificateRenderer(ART)
        r.prepare([certificate("Zoë Müller")])
        assert pypdf_text(r.render(certificate("Zoë Müller"))).count("Zoë Müller") == 1
        assert "Łukasz Ђорђе محمد" in pypdf_text(r.render(certificate("Łukasz Ђорђе محمد")))
        assert "Zoë Müller" in pypdf_text(r.render(certificate("Zoë Müller")))

    def test_a_latin_certificate_is_small(self, renderer):
        """With the fonts prepared (static, cut down), a Latin certificate is at most 15 KiB (it was 27)."""
        r = FpdfCertificateRenderer(ART)
        certs = [certificate(n) for n in ("Zoë Müller", "Łukasz Wiśniewski", "Søren Þórsdóttir")]
        r.prepare(certs)
        assert all(len(r.render(c)) <= 15 * 1024 for c in certs)


def _bounds(font: TTFont, char: str) -> tuple[int, int, int, int]:
    glyph = font["glyf"][font.getBestCmap()[ord(char)]]
    return glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax


class TestCjkFaces:
    def test_the_face_follows_the_letters_then_the_languages(self):
        assert cjk_face((), "佐藤はなこ") == "JP" and cjk_face(("zh",), "김민준") == "KR"
        assert cjk_face(("en", "ja"), "山田太郎") == "JP" and cjk_face(("Japanese",), "直子") == "JP"
        assert cjk_face(("ko-KR",), "金") == "KR" and cjk_face(("Korean",), "金") == "KR"
        assert cjk_face(("zh-Hans",), "王芳") == "SC" and cjk_face(("zh_CN",), "王芳") == "SC"
        assert cjk_face(("zh",), "王芳") == "SC" and cjk_face(("Simplified Chinese",), "王芳") == "SC"
        assert cjk_face(("zh-Hant-TW",), "王芳") == "TC" and cjk_face(("zh-TW",), "王芳") == "TC"
        assert cjk_face(("zh-HK",), "王芳") == "HK"
        assert cjk_face(("en", "de"), "王芳") == "TC" and cjk_face((), "王芳") == "TC"

    @pytest.fixture(scope="class")
    def outlines(self, tmp_path_factory) -> dict[str, set[tuple[int, int, int, int]]]:
        """The bounds of 直 and 骨 in each face, as `cut_font` gives them."""
        folder = tmp_path_factory.mktemp("faces")
        out = {}
        for region in CJK_FACES:
            with TTFont(cut_font(cjk_font(region), "直骨", folder / f"{region}.ttf")) as font:
                out[region] = {_bounds(font, c) for c in "直骨"}
        return out

    @pytest.mark.parametrize(("languages", "region"), [(("ja",), "JP"), (("ko",), "KR"), (("zh-Hans",), "SC"),
                                                       (("zh-Hant",), "TC")])
    def test_a_name_is_drawn_with_the_face_of_its_language(self, renderer, outlines, languages, region):
        """直 and 骨 are drawn differently in Japan, Korea and China: the certificate embeds the face of the
        ambassador's language, with that face's outline of each (and not another face's)."""
        name = "直骨"
        pdf = renderer.render(certificate_for(name, languages))
        [cjk] = [n for n in embedded_fonts(pdf) if "CJK" in n]
        assert region in cjk.upper()
        embedded = TTFont(io.BytesIO(embedded_fonts(pdf)[cjk]))
        drawn = {(g.xMin, g.yMin, g.xMax, g.yMax) for g in (embedded["glyf"][n] for n in embedded.getGlyphOrder())
                 if g.numberOfContours}
        faces = outlines
        assert faces[region] <= drawn
        for other in ("JP", "KR", "SC", "TC"):
            if faces[other] != faces[region]:
                assert not faces[other] <= drawn, other
        assert faces["JP"] != faces["TC"] and faces["KR"] != faces["SC"]  # the faces do differ here
        assert name in pypdf_text(pdf)


class TestScripts:
    @pytest.mark.parametrize("script", sorted(NAMES))
    def test_name_is_in_the_text_layer(self, renderer, script):
        """The PDF's text holds the name: every letter, and for left-to-right scripts the name as written."""
        name = NAMES[script]
        pdf = renderer.render(certificate(name))
        assert pdf.startswith(b"%PDF-")
        text = pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_range()
        assert "Certificate of Service" in text and "Ruth Cheesley" in text
        if script == "arabic":
            # The shaped glyphs map back to the name's letters (drawn right to left): the same letters.
            line = next(ln for ln in text.splitlines() if any("\u0600" <= c <= "\u06ff" for c in ln))
            assert _letters(line) == _letters(name)
        else:
            assert name in text

    @pytest.mark.parametrize("script", sorted(NAMES))
    def test_every_character_has_a_glyph_in_an_embedded_font(self, renderer, script):
        """No empty boxes: each character of the name is in the cmap of a font embedded in the PDF (the
        font files fontTools reads), and the subset embedded holds more than the .notdef glyph."""
        name = NAMES[script]
        pdf = renderer.render(certificate(name))
        embedded = embedded_fonts(pdf)
        files = {f.family.lower(): f for f in [*packaged_fonts(), *(cjk_font(r) for r in CJK_FACES)]}
        cmaps = {}
        for family in embedded:
            matching = sorted((fam for fam in files if family.replace("Regular", "").lower().startswith(fam)),
                              key=len)
            assert matching, f"an unexpected font {family} is embedded"
            with files[matching[-1]].open() as font:  # the longest family name that fits
                cmaps[family] = set(font.getBestCmap())
        for ch in name:
            if not ch.isspace():
                assert any(ord(ch) in cmap for cmap in cmaps.values()), f"{ch!r} has no glyph in {sorted(cmaps)}"
        for family, program in embedded.items():
            if program[:4] in (b"\x00\x01\x00\x00", b"true", b"OTTO"):
                assert len(TTFont(io.BytesIO(program)).getGlyphOrder()) > 2, family

    @pytest.mark.parametrize("script", sorted(NAMES))
    def test_rendered_page_shows_the_name(self, renderer, script, tmp_path):
        """A picture of the page (pypdfium2, no system tool): the name's band holds ink, centred, and as
        much of it as a name of that length should have (an empty box or a missing glyph would not)."""
        name = NAMES[script]
        pdf = renderer.render(certificate(name))
        image = pypdfium2.PdfDocument(pdf)[0].render(scale=1.5).to_pil().convert("L")
        folder = Path(PNG_DIR) if PNG_DIR else tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        image.save(folder / f"certificate-{script}.png")
        width, height = image.size
        # The name's line sits at 96-113 mm of the 210 mm high page.
        band = image.crop((0, int(height * 96 / 210), width, int(height * 113 / 210)))
        dark = [x for x in range(band.width) for y in range(0, band.height, 2) if band.getpixel((x, y)) < 128]
        assert dark, "nothing drawn where the name goes"
        left, right = min(dark), max(dark)
        assert abs((left + right) / 2 - width / 2) < width * 0.03  # centred
        assert right - left > width * 0.05 * len(name.replace(" ", "")) ** 0.5
        assert len(dark) > 80 * len(name.replace(" ", ""))

    def test_a_character_no_font_covers_is_refused(self, renderer):
        """A name the fonts cannot draw (Egyptian hieroglyphs) is not printed with empty boxes: it is named."""
        assert not renderer.covers("\U00013080")
        assert "U+13080" in unprintable(certificate("Ana \U00013080"), renderer.covers)
        assert unprintable(certificate(NAMES["arabic"]), renderer.covers) == ""

    def test_only_the_fonts_a_name_needs_are_embedded(self, renderer):
        """A Latin name embeds Noto Sans only (the CJK font is neither read nor embedded): a small file."""
        pdf = renderer.render(certificate("Zoë Müller"))
        assert list(embedded_fonts(pdf)) == ["NotoSans"]
        assert len(pdf) < 80_000
        assert set(embedded_fonts(renderer.render(certificate("李小龙")))) == {"NotoSans", "NotoSansCJKTC"}


class TestYearsOfService:
    def test_due_on_the_anniversary_not_the_day_before(self):
        amb = ambassador(start=date(2024, 3, 10))
        assert yearly_due(amb, date(2025, 3, 9), 30) == 0
        assert yearly_due(amb, date(2025, 3, 10), 30) == 1
        assert yearly_due(amb, date(2026, 3, 10), 30) == 2

    def test_only_within_the_freshness_window(self):
        """A first run long after an anniversary sends nothing for it (no certificates of years gone by)."""
        amb = ambassador(start=date(2020, 3, 10))
        assert yearly_due(amb, date(2025, 4, 9), 30) == 5
        assert yearly_due(amb, date(2025, 4, 10), 30) == 0

    def test_only_active_ambassadors(self):
        for status in ("paused", "alumni", "removed"):
            assert yearly_due(ambassador(start=date(2024, 3, 10), status=status), date(2025, 3, 10), 30) == 0

    def test_a_rejoiner_counts_from_the_new_start(self):
        """A new start date (rejoining) restarts the count, and the key changes with it."""
        amb = ambassador(start=date(2025, 6, 1))
        assert yearly_due(amb, date(2026, 6, 1), 30) == 1
        [cert] = plan_yearly([amb], date(2026, 6, 1), 30, "Program")
        assert cert.key == "certificate_yearly:ana@example.org:2025-06-01:y1"

    def test_29_february_start(self):
        amb = ambassador(start=date(2024, 2, 29))
        assert yearly_due(amb, date(2025, 2, 27), 30) == 0
        assert yearly_due(amb, date(2025, 2, 28), 30) == 1


class TestEvents:
    def test_one_per_attendee_and_event(self):
        day = date(2026, 11, 14)
        ev = event_id("Mautic sprint Berlin", day)
        people = [Attendee(ev, "Mautic sprint Berlin", day, "Ana", "ana@example.org", 2, "x"),
                  Attendee(ev, "Mautic sprint Berlin", day, "Ana again", "ana@example.org", 3, "x"),
                  Attendee(ev, "Mautic sprint Berlin", day, "Bo", "bo@example.org", 4, "x")]
        certs = plan_events(people, day + timedelta(days=3), 30)
        assert [c.key for c in certs] == [f"certificate_event:{ev}:ana@example.org",
                                          f"certificate_event:{ev}:bo@example.org"]
        assert plan_events(people, day - timedelta(days=1), 30) == []  # not before the event
        assert plan_events(people, day + timedelta(days=31), 30) == []

    def test_an_attendee_on_the_roster_has_their_languages(self):
        """The CJK face of an event certificate follows the attendee's languages when the roster knows them."""
        day = date(2026, 11, 14)
        ev = event_id("Workshop Tokyo", day)
        people = [Attendee(ev, "Workshop Tokyo", day, "直子", "naoko@example.org", 2, "x"),
                  Attendee(ev, "Workshop Tokyo", day, "王芳", "fang@example.org", 3, "x")]
        certs = plan_events(people, day, 30, {"naoko@example.org": ("en", "ja")})
        assert [c.languages for c in certs] == [("en", "ja"), ()]
        assert [cjk_face(c.languages, c.name) for c in certs] == ["JP", "TC"]
        yearly = plan_yearly([ambassador(start=date(2024, 3, 10))], date(2026, 3, 10), 30, "P")
        assert yearly[0].languages == ("pt", "en")  # the roster's languages, all of them


# ---- the job, end to end on the local backend -------------------------------------------------------

ROSTER_HEADER = ["Name", "Email", "Country", "Region", "University", "Languages", "Start date", "Status"]


def write_roster(program: Path, rows: list[list[str]]) -> None:
    with (program.parent / "data" / "ambassadors.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([ROSTER_HEADER, *rows])


def write_attendees(program: Path, name: str, rows: list[list[str]]) -> Path:
    folder = program.parent / "data" / "attendees"
    folder.mkdir(exist_ok=True)
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["Name", "Email"], *rows])
    return path


def run(program: Path, day: date, dry_run: bool = False):
    return job.run(bootstrap.build(load_config(program), day, dry_run=dry_run))


def outbox(program: Path) -> dict[str, object]:
    """Every message in the outbox, by its key."""
    return {m["X-Automation-Key"]: m for m in outbox_messages(program.parent / "outbox")}


def ledger_keys(program: Path) -> list[str]:
    path = program.parent / "data" / "mail_ledger.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return [r["Key"] for r in csv.DictReader(fh) if r["Status"] == "sent"]


ZOE = ["Zoë Müller", "zoe@example.org", "Germany", "", "", "de", "2023-11-25", "active"]
DMITRY = ["Дмитрий Шостакович", "dmitry@example.org", "Serbia", "", "", "sr", "2024-11-25", "paused"]
LI = ["李小龙", "li@example.org", "China", "", "", "zh", "2024-11-26", "active"]


def test_a_year_boundary_sends_one_certificate_and_a_rerun_none(program):
    """The day before the anniversary nothing; on it one certificate with its PDF; again the same day and
    the next day nothing more; a paused ambassador none."""
    write_roster(program, [ZOE, DMITRY, LI])
    run(program, date(2026, 11, 24))
    assert outbox(program) == {}
    res = run(program, date(2026, 11, 25))
    assert res.failures == []
    sent = outbox(program)
    assert list(sent) == ["certificate_yearly:zoe@example.org:2023-11-25:y3"]
    msg = sent["certificate_yearly:zoe@example.org:2023-11-25:y3"]
    # Zoë reads German first: the mail and the certificate's words are German, the day as German writes it
    assert msg["X-Automation-Job"] == "certificate_yearly" and msg["Subject"] == "Deine Urkunde: 3 Jahre als Botschafter"
    [pdf, credential] = [p for p in msg.iter_attachments()]
    assert pdf.get_content_type() == "application/pdf" and pdf.get_filename() == "certificate-3-years-zoe-muller.pdf"
    assert credential.get_filename() == "certificate-3-years-zoe-muller.jwt"  # its credential (test_credentials.py)
    text = pypdfium2.PdfDocument(pdf.get_content())[0].get_textpage().get_text_range()
    assert "Zoë Müller" in text and "für 3 Jahre Engagement als Botschafter" in text and "25. November 2026" in text
    assert "Verliehen an" in text and "years" not in text
    again = run(program, date(2026, 11, 25))
    assert again.data["drawn"] == 0 and len(outbox(program)) == 1
    run(program, date(2026, 11, 26))  # Li's anniversary: one more, Zoë's not again
    assert sorted(outbox(program)) == ["certificate_yearly:li@example.org:2024-11-26:y2",
                                       "certificate_yearly:zoe@example.org:2023-11-25:y3"]
    assert Counter(ledger_keys(program))["certificate_yearly:zoe@example.org:2023-11-25:y3"] == 1


def test_dry_run_draws_and_sends_nothing(program):
    write_roster(program, [ZOE])
    ledger = program.parent / "data" / "mail_ledger.csv"
    res = run(program, date(2026, 11, 25), dry_run=True)
    assert not (program.parent / "outbox").exists() and not ledger.exists()
    assert res.data["drawn"] == 0
    assert any("would send certificate_yearly to zoe@example.org" in line for line in res.summary)


def test_event_certificates_once_per_attendee(program):
    """Each attendee of a listed sprint gets one certificate (a name in any script), a rerun none; a line
    without an email is a data problem, not a certificate."""
    write_roster(program, [ZOE])
    write_attendees(program, "2026-11-14 Mautic sprint Berlin.csv", [
        ["Zoë Müller", "Zoe@Example.org"], ["محمد عبد الله", "mohammed@example.org"], ["李小龙", "li@example.org"],
        ["Zoë Müller", "zoe@example.org"], ["No Email", ""]])
    res = run(program, date(2026, 11, 20))
    ev = "2026-11-14-mautic-sprint-berlin"
    keys = sorted(k for k in outbox(program) if k.startswith(EVENT))
    assert keys == [f"certificate_event:{ev}:li@example.org", f"certificate_event:{ev}:mohammed@example.org",
                    f"certificate_event:{ev}:zoe@example.org"]
    assert [p.column for p in res.new_problems] == ["Email"]
    msg = outbox(program)[f"certificate_event:{ev}:mohammed@example.org"]
    pdf = next(msg.iter_attachments()).get_content()
    text = pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_range()
    assert "Certificate of Attendance" in text and "Mautic sprint Berlin" in text
    again = run(program, date(2026, 11, 21))
    assert again.data["drawn"] == 0 and again.data["due"] == 3 and len(outbox(program)) == 3


def test_a_name_no_font_covers_fails_the_run_and_is_tried_again(program):
    write_roster(program, [["Ana \U00013080", "ana@example.org", "", "", "", "en", "2025-11-25", "active"], ZOE])
    res = run(program, date(2026, 11, 25))
    assert len(res.failures) == 1 and "U+13080" in res.failures[0]
    assert list(outbox(program)) == ["certificate_yearly:zoe@example.org:2023-11-25:y3"]
    assert len(run(program, date(2026, 11, 26)).failures) == 1  # not recorded as done: tried again


def test_cli_certificates_exit_codes(program, cli):
    """The command exists (no longer "not available"), sends, and a rerun exits 0 with nothing new."""
    write_roster(program, [ZOE])
    first = cli("--as-of", "2026-11-25", "certificates", config=program)
    assert first.code == 0, first.err
    assert "1 PDF drawn" in first.out
    second = cli("--as-of", "2026-11-25", "certificates", config=program)
    assert second.code == 0 and "0 PDFs drawn" in second.out and "1 had gone earlier" in second.out


def test_a_rerun_on_the_example_says_once_what_went_and_fails_nothing(program, cli):
    """On the example, a second run the same day draws and sends nothing, says in one line that the three
    certificates had gone earlier, and reports no failure (exit 0). A certificate that cannot be drawn is
    counted in that line's failures, the same number as the `failed:` lines, on each run that tries it."""
    runs = [cli("--as-of", "2026-10-19", "certificates", config=program) for _ in range(2)]
    assert [r.code for r in runs] == [0, 0] and all("failed:" not in r.err for r in runs), runs[1].err
    assert "3 messages sent to" in runs[0].out and "0 had gone earlier, 0 failed." in runs[0].out
    earlier = [line for line in runs[1].out.splitlines() if "earlier" in line]
    assert earlier == [f"[certificates] 0 messages sent to {program.parent / 'outbox'}, 3 had gone earlier, 0 failed."]
    assert "0 PDFs drawn" in runs[1].out
    with (program.parent / "data" / "ambassadors.csv").open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerow(["Ana \U00013080", "ana@example.org", "", "", "", "en", "2025-10-19", "active"])
    for _ in range(2):
        r = cli("--as-of", "2026-10-19", "certificates", config=program)
        failed = [line for line in r.err.splitlines() if line.startswith("failed:")]
        assert r.code == 1 and len(failed) == 1 and "U+13080" in failed[0]
        assert ", 3 had gone earlier, 1 failed." in r.out and r.out.count("earlier") == 1


def test_long_event_and_names_give_files_that_fit(program, cli):
    """A 300-character event name with a 300-character name (CJK: three bytes each; Latin: the readable part of
    every file name) and a long address: every certificate is drawn and sent, no file name is over the
    program's byte cap (ext4 refuses a name over 255 bytes), the preview links its attachment, and two names
    alike for their first 200 characters still get two file names."""
    write_roster(program, [])
    long_event, long_name = "Mautic sprint " + "x" * 286, "Name " + "y" * 295
    other = "a" * 60 + "@" + "b" * 60 + ".example.org"
    rows = [["漢" * 300, "2026-10-15", "字" * 300, "li@example.org"],
            [long_event, "2026-10-15", long_name, other],
            [long_event, "2026-10-15", long_name[:200] + "z" * 100, "two@example.org"]]
    folder = program.parent / "data" / "attendees"
    folder.mkdir()
    with (folder / "list.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["Event", "Date", "Name", "Email"], *rows])
    r = cli("--as-of", "2026-10-19", "certificates", config=program)
    assert r.code == 0 and "File name too long" not in r.out + r.err, r.out + r.err
    files = [p for p in (program.parent / "outbox").rglob("*") if p.is_file()]
    assert files and max(len(p.name.encode("utf-8")) for p in files) <= 200
    pdfs = [p for p in files if p.suffix == ".pdf"]
    assert len(pdfs) == 3 and len({p.name for p in pdfs}) == 3
    sent = {m["To"].addresses[0].addr_spec: m for m in outbox_messages(program.parent / "outbox")}
    assert sorted(sent) == sorted(row[3] for row in rows)
    names = [next(m.iter_attachments()).get_filename() for m in sent.values()]
    assert all(n.endswith(".pdf") and len(n.encode("utf-8")) <= 80 for n in names) and len(set(names)) == 3
    for eml in (program.parent / "outbox").rglob("*.eml"):
        preview = eml.with_suffix(".html").read_text(encoding="utf-8")
        linked = preview.split('Attached: <a href="', 1)[1].split('"', 1)[0]
        assert (eml.parent / linked).read_bytes()[:5] == b"%PDF-"
    text = pypdfium2.PdfDocument(next(sent["li@example.org"].iter_attachments()).get_content())[0] \
        .get_textpage().get_text_range()
    assert "字" * 10 in text and "漢" * 10 in text


def test_capped_names_count_bytes_and_keep_a_digest():
    from automations.domain.values import capped_name
    a, b = capped_name("漢" * 300, ".pdf"), capped_name("漢" * 299 + "字", ".pdf")
    assert len(a.encode("utf-8")) <= 200 and a.endswith(".pdf") and a.startswith("漢" * 50) and a != b
    assert capped_name("short", ".pdf") == "short.pdf"


def test_attachment_survives_smtp(program, smtp_server):
    """Over SMTP the message carries the PDF, and its signed credential, as multipart/mixed attachments."""
    from tests.conftest import use_smtp

    use_smtp(program, smtp_server)
    write_roster(program, [ZOE])
    res = run(program, date(2026, 11, 25))
    assert res.failures == []
    [received] = smtp_server.received
    msg = message_from_bytes(received.data, policy=policy.default)
    assert msg.get_content_type() == "multipart/mixed"
    [pdf, credential] = list(msg.iter_attachments())
    assert pdf.get_content().startswith(b"%PDF-")
    assert credential.get_content_type() == "application/vc+jwt" and credential.get_content().count(b".") == 2


def test_compose_puts_text_html_and_attachment():
    planned = PlannedMessage("k:1", "certificate_yearly", "a@example.org", "A", attachments=(
        Attachment("c.pdf", "application/pdf", b"%PDF-1.4 x"),))
    out = compose(Rendered(planned, "S", "text", "<p>html</p>"), Sender("s@example.org", "S", "r@example.org"),
                  __import__("datetime").datetime(2026, 1, 1))
    msg = message_from_bytes(out.data, policy=policy.default)
    assert msg.get_body(("plain",)).get_content().strip() == "text"
    assert msg.get_body(("html",)).get_content().strip() == "<p>html</p>"
    [a] = list(msg.iter_attachments())
    assert (a.get_filename(), a.get_content()) == ("c.pdf", b"%PDF-1.4 x")


def test_airtable_event_attendees(airtable):
    """On Airtable, `init` made the Event attendees table; its records give one certificate per attendee."""
    from tests.airtable_env import BASE

    names = {t["name"] for t in airtable.fake.tables(BASE)}
    assert "Event attendees" in names
    airtable.fake.insert(BASE, "Event attendees", [
        {"Name": "Γιώργος Παπαδόπουλος", "Event": "Workshop Athens", "Date": "2026-11-14", "Email": "g@example.org"},
        {"Name": "李小龙", "Event": "Workshop Athens", "Date": "2026-11-14", "Email": "li@example.org"}])
    res = job.run(airtable.ctx(date(2026, 11, 16)))
    assert res.failures == []
    ev = "2026-11-14-workshop-athens"
    events = sorted(k for k in outbox(airtable.config_path) if k.startswith(EVENT))
    assert events == [f"certificate_event:{ev}:g@example.org", f"certificate_event:{ev}:li@example.org"]
    assert {r["fields"]["Key"] for r in airtable.records("Mail ledger")} >= set(events)
    res = job.run(airtable.ctx(date(2026, 11, 17)))
    assert res.data["drawn"] == 0


def test_doctor_names_a_missing_signature_image(program, cli):
    """doctor says when the signature image is not there (FAIL on stderr); it stops no other job."""
    import yaml

    data = yaml.safe_load(go_live(program).read_text(encoding="utf-8"))
    data["certificates"]["signature_image"] = "templates/certificates/nowhere.png"
    program.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    res = cli("doctor", config=program)
    assert "warn certificates: the certificate signature image" in res.err and "nowhere.png" in res.err
    assert res.code == 0
    data["certificates"]["signature_image"] = "templates/certificates/lead-signature.svg"
    program.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert "ok   certificates: fonts, logo and signature image found" in cli("doctor", config=program).out
