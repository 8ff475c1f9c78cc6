"""Where a person still is in a program's folders, read as a person (or a tool) would read each file: every
file under the folder, whatever it is, searched for the person's address, names and texts.

- any file as UTF-8 text, HTML entities resolved, spacing ignored, case ignored;
- a JSON file's strings (its `\\u` escapes undone);
- a message (`.eml`): every header decoded and every part decoded, in its declared charset and in UTF-8 and
  Latin-1 (an attachment without a charset);
- a PDF: its text layer (pypdf);
- a SQLite file: every text and blob value of every table (and the raw bytes, free pages included).

Written for the tests and the crash harness; it knows nothing of the program's own readers.
"""

from __future__ import annotations

import contextlib
import html
import json
import sqlite3
from collections.abc import Iterable, Sequence
from email import message_from_bytes, policy
from pathlib import Path


def _flat(text: str) -> str:
    return " ".join(html.unescape(text).split()).casefold()


def _json_strings(data) -> Iterable[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for k, v in data.items():
            yield k
            yield from _json_strings(v)
    elif isinstance(data, list):
        for v in data:
            yield from _json_strings(v)


def _message_texts(raw: bytes) -> Iterable[str]:
    try:
        m = message_from_bytes(raw, policy=policy.default)
        for part in m.walk():
            for _name, value in part.items():
                yield str(value)
            if part.is_multipart():
                continue
            data = part.get_payload(decode=True) or b""
            for charset in (part.get_content_charset() or "utf-8", "utf-8", "latin-1"):
                try:
                    yield data.decode(charset, errors="replace")
                except LookupError:
                    continue
            if part.get_content_type() == "application/pdf":
                yield from _pdf_texts(data)
    except Exception:  # noqa: BLE001 - an unparsable message is still searched as bytes
        return


def _pdf_texts(data: bytes) -> Iterable[str]:
    import io

    from pypdf import PdfReader

    try:
        for page in PdfReader(io.BytesIO(data)).pages:
            yield page.extract_text() or ""
    except Exception:  # noqa: BLE001
        return


def _sqlite_texts(path: Path) -> Iterable[str]:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for t in tables:
            for row in con.execute(f'SELECT * FROM "{t}"'):
                for v in row:
                    if isinstance(v, bytes):
                        yield v.decode("utf-8", errors="replace")
                    elif isinstance(v, str):
                        yield v
    except sqlite3.Error:
        return
    finally:
        con.close()


def texts_of(path: Path) -> list[str]:
    """Every reading of one file worth searching."""
    raw = path.read_bytes()
    out = [raw.decode("utf-8", errors="replace")]
    if path.suffix == ".json":
        with contextlib.suppress(ValueError):
            out += list(_json_strings(json.loads(raw)))
    if path.suffix == ".eml":
        out += list(_message_texts(raw))
    if path.suffix == ".pdf" or raw.startswith(b"%PDF"):
        out += list(_pdf_texts(raw))
    if raw.startswith(b"SQLite format 3"):
        out += list(_sqlite_texts(path))
    return out


def traces(folder: Path, needles: Sequence[str], skip: Sequence[str] = ("templates",)) -> list[tuple[str, str]]:
    """(file, needle) for every needle found in a file under `folder` (but the folders named in `skip`)."""
    wanted = [(n, _flat(n)) for n in needles if n.strip()]
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder)
        if rel.parts and rel.parts[0] in skip:
            continue
        text = "\n".join(_flat(t) for t in texts_of(path))
        found += [(rel.as_posix(), n) for n, flat in wanted if flat in text]
    return found
