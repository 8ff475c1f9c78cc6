"""The fonts the PDFs are drawn with (the certificates' and the report's): Noto Sans, Noto Sans Arabic and Noto
Sans CJK from their Python packages, in the order they are tried for a character; how each is cut down to a
run's characters into a small static font fpdf2 reads fast (`cut_font`); and how fpdf2 is spared reading what
it drops.

Noto Sans CJK comes as one OpenType collection (`noto-cjk-sans-otc`) holding a face per region: Japanese,
Korean, Simplified Chinese, Traditional Chinese and Hong Kong (`CJK_FACES`). The faces share their
characters but not all their glyphs (直, 骨, 角 are drawn differently in Japan, Korea and China), so a name
is drawn with the face of its language (see `certificate_pdf.cjk_face`)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

#: The faces of the Noto Sans CJK collection, by region, and their index in the collection file.
CJK_FACES = {"JP": 0, "KR": 1, "SC": 2, "TC": 3, "HK": 4}
#: The face a CJK name is drawn with when neither its language nor its letters say which (as before).
DEFAULT_CJK_FACE = "TC"


@dataclass(frozen=True)
class FontFile:
    family: str
    path: Path
    number: int = 0  # the face, in a font collection (.ttc)

    def open(self, lazy: bool = True):
        """The font read with fontTools (`TTFont`), the right face of a collection."""
        from fontTools.ttLib import TTFont

        return TTFont(self.path, lazy=lazy, fontNumber=self.number, recalcTimestamp=False)


def _package_file(package: str, *parts: str) -> Path:
    """A file shipped inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the font package {package} is not installed (pip install -r requirements.txt)")
    return Path(next(iter(spec.submodule_search_locations)), *parts)


def packaged_fonts() -> tuple[FontFile, ...]:
    """The certificate fonts in the order they are tried for a character (the CJK one in its default face)."""
    return (
        FontFile("NotoSans", _package_file("fontpkg_noto_sans", "files", "NotoSans[wdth,wght].ttf")),
        FontFile("NotoSansArabic", _package_file("fontpkg_noto_sans_arabic", "files",
                                                 "NotoSansArabic[wdth,wght].ttf")),
        cjk_font(DEFAULT_CJK_FACE),
    )


def cjk_font(region: str) -> FontFile:
    """Noto Sans CJK in the face of a region (a key of `CJK_FACES`)."""
    return FontFile(f"NotoSansCJK{region.lower()}",
                    _package_file("noto_cjk_sans_otc", "NotoSansCJK-Regular.ttc"), CJK_FACES[region])


def with_face(font: FontFile, region: str) -> FontFile:
    """The same CJK collection in another region's face."""
    return replace(font, family=f"NotoSansCJK{region.lower()}", number=CJK_FACES[region])


def cut_font(font: FontFile, chars: Iterable[str], path: Path, weight: int = 400, layout: bool = True) -> Path:
    """`font` cut down to the glyphs of `chars` (with every shaping rule that reaches them when `layout`),
    fixed at `weight` when it is a variable font, its outlines made TrueType when they were CFF, saved at
    `path`: a file of a few kilobytes that fpdf2 reads and embeds in a millisecond, where reading and cutting
    the variable Noto Sans for each PDF was most of a certificate's time. TrueType outlines because fpdf2
    describes a CFF font's codes with a CMap that pypdf cannot read (`\\x00王\\x00芳`); the curves are
    converted within one unit of the em (of 1000). The font's own date stays: the same input, the same bytes."""
    key = (font.path, font.number, weight, layout, frozenset(chars))
    if key in _CUTS:  # the same fonts for the same characters, made again in this process: the same bytes
        path.write_bytes(_CUTS[key])
        return path
    from fontTools import subset
    from fontTools.varLib import instancer

    options = subset.Options()
    if layout:
        options.layout_features = ["*"]  # Arabic joining forms, ligatures, marks, kerning
    else:
        options.layout_features = []
        options.drop_tables += ["GSUB", "GPOS", "GDEF"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    with font.open() as tt:
        cmap = tt.getBestCmap()
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=sorted({ord(c) for c in chars} & set(cmap)) or [0x20])
        subsetter.subset(tt)
        if "fvar" in tt:
            axes = {a.axisTag: a for a in tt["fvar"].axes}
            location = {"wght": float(weight)} | ({"wdth": 100.0} if "wdth" in axes else {})
            instancer.instantiateVariableFont(tt, location, inplace=True)
        if "CFF " in tt:
            _cff_to_truetype(tt)
        tt.save(path)
    if len(_CUTS) >= 32:
        _CUTS.pop(next(iter(_CUTS)))
    _CUTS[key] = path.read_bytes()
    return path


#: The fonts `cut_font` made in this process, by what they were made from (the oldest dropped past 32).
_CUTS: dict[tuple[Path, int, int, bool, frozenset[str]], bytes] = {}


def _cff_to_truetype(font) -> None:
    """Replace a font's CFF outlines by TrueType ones (quadratic curves within one unit), in place."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                  "maxStackElements", "maxSizeOfInstructions", "maxComponentElements", "maxComponentDepth"):
        setattr(maxp, field, 1 if field == "maxZones" else 0)
    for field in ("maxPoints", "maxContours", "maxCompositePoints", "maxCompositeContours"):
        setattr(maxp, field, 0)  # counted again when saved
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"


def skip_layout_tables(pdf) -> None:
    """Spare fontTools the reading of the fonts' layout tables (GSUB, GPOS, GDEF), which fpdf2 drops from
    every embedded subset anyway: HarfBuzz shapes from the font file itself, and the metrics and outlines
    fpdf2 embeds come from the other tables. Reading them on each subset was two thirds of a
    certificate's time. Works on fpdf2's font objects; with a version that lays them out otherwise it
    does nothing."""
    for font in getattr(pdf, "fonts", {}).values():
        tt = getattr(font, "ttfont", None)
        if tt is None or not hasattr(font, "hbfont"):
            continue
        for tag in ("GSUB", "GPOS", "GDEF"):
            if tag in tt:
                del tt[tag]
