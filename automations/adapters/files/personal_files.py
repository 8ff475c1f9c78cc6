"""`LocalPersonalFiles`: the files the jobs made on this machine that concern people: each message in the
outbox (its `.eml`, its preview and its attachments, and what a message that is gone left), the outbox's
index, each review document in the drafts folder, each quarter's report and every export.

`export` lists them, `erase` deletes those of one person, and `retention` deletes outbox messages older
than configured. The outbox's index is written again afterwards, so it lists only what is left.
"""

from __future__ import annotations

import contextlib
import glob
import html
import json
import re
from collections.abc import Collection, Sequence
from datetime import date, timedelta
from email import message_from_bytes, policy
from pathlib import Path

from ...ports import PersonalFile, Written
from ..outbox import OutboxMailer
from .atomic import is_temp_name

OUTBOX = "email in the outbox"
DRAFT = "review document"
REPORT = "quarterly report"
INDEX = "the outbox's index"
_SEARCHED = (".eml", ".html", ".md", ".json")  # the files `find` reads
EXPORT = "export"


def _read_text(path: Path) -> str:
    """A text file as its reader sees it (HTML entities resolved); an unreadable one is empty."""
    try:
        return html.unescape(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return ""


def _export_text(path: Path) -> str:
    """An export's text: a JSON file's every string (escapes undone), a page as it reads."""
    if path.suffix != ".json":
        return _read_text(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError):
        return _read_text(path)
    out: list[str] = []

    def walk(x) -> None:
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, dict):
            for k, v in x.items():
                walk(k)
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(data)
    return "\n".join(out)


def _naming(address: str, names: Sequence[str]):
    """Whether a text names the person: their address or one of their names or texts, as a whole word (erasing
    "Ana Lima" or ana@x.org leaves "Banana" and "mariana@x.org" alone), whatever the case and the spacing."""
    words = sorted({" ".join(w.split()) for w in (address, *names) if len(w.strip()) >= 3}, key=len, reverse=True)
    if not words:
        return lambda text: False
    pattern = re.compile(r"(?<![\w.+@-])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w@-]|\.\w)",
                         re.IGNORECASE)
    return lambda text: bool(pattern.search(" ".join(text.split())))


def _part_texts(part) -> list[str]:
    """A MIME part's content as text in every plausible charset (its declared one, UTF-8, Latin-1), and
    HTML entities resolved: a name is found whatever the part says (or does not say) of its encoding."""
    try:
        data = part.get_payload(decode=True) or b""
    except Exception:  # noqa: BLE001 - a part that cannot be decoded is searched as it is written
        data = str(part.get_payload()).encode("utf-8", errors="replace")
    out: list[str] = []
    for charset in dict.fromkeys((part.get_content_charset() or "utf-8", "utf-8", "latin-1")):
        try:
            text = data.decode(charset, errors="replace")
        except LookupError:  # an unknown charset named by the message
            continue
        out += [text, html.unescape(text)]
    return list(dict.fromkeys(out))


def _owner(name: str, stems: Collection[str]) -> str | None:
    """The message (the stem of its `.eml`, among `stems`: the messages of the file's folder) whose preview
    (`<stem>.html`) or attachment (`<stem>-<name>`) a file is; of messages whose names start alike, the longest
    one's, never another message's whose name merely starts the same way. None: it belongs to no message."""
    if name.endswith(".eml"):
        return None
    if name.endswith(".html") and name[:-5] in stems:
        return name[:-5]
    owner = None
    for i, ch in enumerate(name):  # every `<stem>-` the name starts with: the longest is its message
        if ch == "-" and name[:i] in stems:
            owner = name[:i]
    return owner


def _stems(folder: Path) -> set[str]:
    return {e.stem for e in folder.glob("*.eml")}


class LocalPersonalFiles:
    def __init__(self, outbox: Path, drafts: Path, reports: Path | None = None, exports: Path | None = None):
        self.outbox = Path(outbox)
        self.drafts = Path(drafts)
        self.reports = Path(reports) if reports is not None else None
        self.exports = Path(exports) if exports is not None else None

    def _messages(self, with_text: bool = False, days: Sequence[Path] | None = None) -> list[tuple[Path, str, str]]:
        """Each message (of the day folders `days`, or all): its file, its text (the To header, and with
        `with_text` the subject and every text part, decoded) and a line describing it."""
        out = []
        files = sorted(self.outbox.glob("*/*.eml")) if days is None else sorted(p for d in days for p in d.glob("*.eml"))
        for eml in files:
            try:
                raw = eml.read_bytes()
            except OSError:
                continue
            try:
                m = message_from_bytes(raw, policy=policy.default)
                text = [str(m.get("To", ""))]
                if with_text:
                    text.append(str(m.get("Subject", "")))
                    # every part, attachments too (the quarterly report's page goes to staff attached), read
                    # in each charset it may be in: an attachment without one decodes wrongly otherwise
                    text += [t for part in m.walk() if not part.is_multipart() for t in _part_texts(part)]
                detail = f"{eml.parent.name}: {m.get('Subject', '')}"
            except Exception:  # noqa: BLE001 - a message the email package cannot read is searched as it is
                text = [raw.decode("utf-8", errors="replace")]
                detail = f"{eml.parent.name}: {eml.name} (unreadable as a message)"
            out.append((eml, "\n".join(text), detail))
        return out

    def find(self, address: str, names: Sequence[str] = ()) -> list[PersonalFile]:
        names_them = _naming(address, names)
        messages = self._messages(with_text=True)
        found = [PersonalFile(str(p), OUTBOX, detail) for p, text, detail in messages if names_them(text)]
        # What a message left when its .eml went and the rest did not (an erase or retention cut short): a
        # preview or a text attachment naming them is searched as the message was.
        for q in self._orphans({p for p, _t, _d in messages}):
            if names_them(_read_text(q)):
                found.append(PersonalFile(str(q), OUTBOX, f"{q.parent.name}: {q.name} (left by a message that is gone)"))
        index = self.outbox / "index.html"
        if index.is_file() and names_them(_read_text(index)):  # rewritten, not deleted (`remove`)
            found.append(PersonalFile(str(index), INDEX, "the outbox's list of messages"))
        for doc in sorted(self.drafts.glob("*.html")) if self.drafts.is_dir() else ():
            if names_them(_read_text(doc)):
                found.append(PersonalFile(str(doc), DRAFT, doc.name))
        # A quarter's report names ambassadors in its page, its newsletter and its PDF: all three go when the
        # page or the newsletter names them (`report --quarter` makes them again, without the person).
        for folder in sorted(p for p in self.reports.iterdir() if p.is_dir()) if self.reports and \
                self.reports.is_dir() else ():
            texts = [f for f in folder.iterdir() if f.suffix in (".html", ".md")]
            if any(names_them(_read_text(f)) for f in texts):
                found += [PersonalFile(str(f), REPORT, f"{folder.name}: {f.name}") for f in sorted(folder.iterdir())
                          if f.is_file()]
                # The quarter's report mailed to staff carries the PDF, which cannot be read as text: its outbox
                # copies go with the report (`domain.report.mail`).
                have = {f.path for f in found}
                found += [PersonalFile(str(p), OUTBOX, d) for p, _t, d in messages
                          if p.name.startswith(f"quarterly_report_{folder.name}_") and str(p) not in have]
        # Exports: another person's may name them too (their review's author, a referral's candidate); the pair
        # (.json and .html) goes together.
        for data in sorted(self.exports.glob("*.json")) if self.exports and self.exports.is_dir() else ():
            pair = [q for q in (data, data.with_suffix(".html")) if q.is_file()]
            if any(names_them(_export_text(q)) for q in pair):
                found += [PersonalFile(str(q), EXPORT, q.name) for q in pair]
        return found

    def _orphans(self, messages: set[Path]) -> list[Path]:
        """The outbox's files that belong to no message: a preview or attachment whose .eml is gone."""
        stems: dict[Path, set[str]] = {}
        for e in messages:
            stems.setdefault(e.parent, set()).add(e.stem)
        out = []
        for q in sorted(self.outbox.glob("*/*")) if self.outbox.is_dir() else ():
            if q.suffix == ".eml" or not q.is_file() or is_temp_name(q.name):
                continue
            if _owner(q.name, stems.get(q.parent, set())) is None:
                out.append(q)
        return out

    def older_than(self, days: int, today: date) -> list[PersonalFile]:
        cutoff = today - timedelta(days=days)

        def old(folder: Path) -> bool:  # the day folders are named by their day: only old ones are opened
            try:
                return folder.is_dir() and date.fromisoformat(folder.name) < cutoff
            except ValueError:
                return False

        folders = [f for f in self.outbox.iterdir() if old(f)] if self.outbox.is_dir() else []
        return [PersonalFile(str(p), OUTBOX, detail) for p, _to, detail in self._messages(days=folders)] \
            if folders else []

    def remove(self, files: Sequence[PersonalFile], dry_run: bool = False) -> Written:
        """Delete the files (a message with its preview and attachments; the outbox's index is written again
        instead)."""
        doomed: list[Path] = []
        stems: dict[Path, set[str]] = {}  # each folder's messages, read once
        for f in files:
            p = Path(f.path)
            if f.what == INDEX:
                continue
            if f.what == OUTBOX and p.suffix == ".eml":  # the preview and the attachments written beside it
                here = stems.setdefault(p.parent, _stems(p.parent))
                doomed += [q for q in p.parent.glob(f"{glob.escape(p.stem)}*") if _owner(q.name, here) == p.stem]
            doomed.append(p)
        # What a later `find` reads to know a file is theirs (a message, a page, a newsletter, an export) goes last:
        # a removal cut short leaves it, and with it the rest is found again (a report's PDF, an attachment).
        # Last of all a report's page and newsletter: through them its mailed copies are found (their PDF is not read).
        reports = {Path(f.path) for f in files if f.what == REPORT}
        doomed = sorted((p for p in dict.fromkeys(doomed) if p.exists()),
                        key=lambda p: (p.suffix in _SEARCHED, p in reports))
        written = Written(deleted=len(doomed), unit="file", where=str(self.outbox))
        if dry_run:
            return written
        for p in doomed:
            p.unlink(missing_ok=True)
        for day in {p.parent for p in doomed if p.parent.parent == self.outbox}:
            with contextlib.suppress(OSError):
                day.rmdir()  # only when empty
        if any(f.what in (OUTBOX, INDEX) for f in files):
            if any(self.outbox.glob("*/*.eml")):
                OutboxMailer(self.outbox, "").write_index()
            else:
                (self.outbox / "index.html").unlink(missing_ok=True)
        return written
