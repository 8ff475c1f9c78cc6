"""How a person's CSV file is written: its encoding and its separator, as spreadsheets save them.

Google's downloads are UTF-8 with commas. Excel writes "CSV UTF-8" (a byte-order mark, commas, or
semicolons where the decimal mark is a comma, as in most of Europe) and "Unicode text" (UTF-16 with a
byte-order mark, tab-separated). All of these are read, and a file the jobs write into (the roster's
standing columns, an erase) is written back in the shape it had. A file in another encoding (Excel's
plain "CSV", which is Windows-1252 or the like) is one sentence saying how to save it.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ...errors import InputError

SEPARATORS = (",", ";", "\t")
_HEAD = 1 << 16
#: The largest file the program reads (docs/commands.md, "The command line"): a larger one is a broken or wrong file, said in
#: one sentence before it is read, not a run out of memory. Cells have their limit too (`csv_tables.CELL_LIMIT`).
FILE_LIMIT = 1 << 30


def check_size(size: int, path: Path | str, what: str) -> None:
    """InputError (one sentence) when a file of `size` bytes is larger than FILE_LIMIT."""
    if size > FILE_LIMIT:
        raise InputError(f"The {what} file {path} holds {size:,} bytes, more than the "
                         f"{FILE_LIMIT >> 30} GiB any file the program reads may be (is it broken, or the wrong "
                         f"file?): nothing was read; fix or replace it and run again.")


@dataclass(frozen=True)
class FileDialect:
    encoding: str  # "utf-8" (maybe with a BOM), "utf-16-le" or "utf-16-be"
    bom: bytes  # the byte-order mark the file starts with (b"" for none)
    delimiter: str = ","
    sep_line: str = ""  # Excel's "sep=;" first line (with its line ending), kept when the file is written back

    def decode(self, raw: bytes) -> str:
        """The file's text without its byte-order mark."""
        return raw[len(self.bom):].decode(self.encoding) if raw.startswith(self.bom) else raw.decode(self.encoding)

    def encode(self, text: str) -> bytes:
        return self.bom + text.encode(self.encoding)

    @property
    def name(self) -> str:
        sep = {",": "commas", ";": "semicolons", "\t": "tabs"}[self.delimiter]
        enc = "UTF-16" if self.encoding.startswith("utf-16") else "UTF-8"
        return f"{enc}, {sep}"


def how_to_save(path: Path | str, what: str, after: str = "") -> InputError:
    return InputError(
        f"The {what} file {path} is not UTF-8 or UTF-16 text{after} (a spreadsheet's plain 'CSV' save, in the "
        f"computer's own encoding?): save it again as 'CSV UTF-8 (Comma delimited)' in Excel or LibreOffice, or "
        f"download it again from Google.")


def sniff_bytes(head: bytes, path: Path | str = "", what: str = "CSV") -> FileDialect:
    """The dialect of a file from its first bytes (up to 64 KiB)."""
    if head.startswith(codecs.BOM_UTF8):
        encoding, bom = "utf-8", codecs.BOM_UTF8
    elif head.startswith(codecs.BOM_UTF16_LE):
        encoding, bom = "utf-16-le", codecs.BOM_UTF16_LE
    elif head.startswith(codecs.BOM_UTF16_BE):
        encoding, bom = "utf-16-be", codecs.BOM_UTF16_BE
    elif _utf16_without_bom(head):
        encoding, bom = _utf16_without_bom(head), b""
    else:
        encoding, bom = "utf-8", b""
    body = head[len(bom):]
    if encoding.startswith("utf-16") and len(body) % 2:
        body = body[:-1]
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(body, final=False)
    except UnicodeDecodeError:
        raise how_to_save(path, what) from None
    hint = _SEP_LINE.match(text)
    if hint:  # Excel's hint line names the separator; the header is the line after it
        return FileDialect(encoding, bom, hint.group(1), hint.group(0))
    return FileDialect(encoding, bom, _separator(text))


_SEP_LINE = re.compile(r"^sep=([,;\t|])(?:\r\n|\n|\r)")


def _utf16_without_bom(head: bytes) -> str:
    """UTF-16 saved without a byte-order mark: the zero high bytes of ASCII text sit on every other byte."""
    sample = head[:4096]
    if len(sample) < 8:
        return ""
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if odd > 0.7 * half and even < 0.1 * half:
        return "utf-16-le"
    if even > 0.7 * half and odd < 0.1 * half:
        return "utf-16-be"
    return ""


def _separator(text: str) -> str:
    """The separator that splits the header row into the most columns (commas when none splits it)."""
    best, most = ",", 1
    for sep in SEPARATORS:
        try:
            first = next(csv.reader(io.StringIO(text, newline=""), delimiter=sep), [])
        except csv.Error:
            continue
        if len(first) > most:
            best, most = sep, len(first)
    return best


def sniff(path: Path, what: str = "CSV") -> FileDialect:
    with path.open("rb") as fh:
        check_size(os.fstat(fh.fileno()).st_size, path, what)
        return sniff_bytes(fh.read(_HEAD), path, what)


def open_text(path: Path, what: str = "CSV") -> tuple[io.TextIOWrapper, FileDialect]:
    """The file opened for reading as text in its own encoding (byte-order mark skipped), and its dialect."""
    dialect = sniff(path, what)
    fh = path.open("rb")
    fh.seek(len(dialect.bom))
    text = io.TextIOWrapper(fh, encoding=dialect.encoding, newline="")
    if dialect.sep_line:
        text.readline()
    return text, dialect
