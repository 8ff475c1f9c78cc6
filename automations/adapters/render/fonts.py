"""The fonts the PDFs are drawn with (the certificates' and the report's): Noto Sans, Noto Sans Arabic and Noto
Sans CJK from their Python packages, in the order they are tried for a character, and how fpdf2 is spared
reading what it drops."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FontFile:
    family: str
    path: Path


def _package_file(package: str, *parts: str) -> Path:
    """A file shipped inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the font package {package} is not installed (pip install -r requirements.txt)")
    return Path(next(iter(spec.submodule_search_locations)), *parts)


def packaged_fonts() -> tuple[FontFile, ...]:
    """The certificate fonts in the order they are tried for a character."""
    return (
        FontFile("NotoSans", _package_file("fontpkg_noto_sans", "files", "NotoSans[wdth,wght].ttf")),
        FontFile("NotoSansArabic", _package_file("fontpkg_noto_sans_arabic", "files",
                                                 "NotoSansArabic[wdth,wght].ttf")),
        FontFile("NotoSansCJK", _package_file("cvttf_NotoSansCJK_Regular", "NotoSansCJKtc-Regular.otf")),
    )


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
