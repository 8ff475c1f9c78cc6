"""The `outbox` transport (the default): each message as an `.eml` file, an `.html` preview of its HTML part
(and each attachment beside them), and an `index.html` listing the outbox, for a person to open before anything
is sent. With a DKIM signer (`mail.dkim_selector`) each `.eml` carries the signature a real transport would add,
so staff can check it against the published key before going live."""

from __future__ import annotations

import hashlib
import html
import re
from email import message_from_binary_file, policy
from pathlib import Path

from ..domain.values import capped_name
from ..mail.dkim import DkimError, DkimSigner
from ..mail.failures import PermanentFailure
from ..mail.message import Outgoing
from .files.atomic import atomic_write


def _safe_name(key: str) -> str:
    """A file name for a key: readable, and unique thanks to a short digest of the whole key. At most 111
    ASCII bytes, so that an attachment's name after it (`_attachment_name`) still fits."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]
    return f"{re.sub(r'[^A-Za-z0-9@._-]+', '_', key)[:100]}-{digest}"


def _attachment_name(name: str, filename: str) -> str:
    """The file an attachment is written to beside its message (`<message>-<attachment>`): no folder, no
    control character, no leading dot, and at most `NAME_BYTES` bytes (cut with a digest when longer)."""
    plain = re.sub(r"[/\\\x00-\x1f\x7f]+", "_", filename).lstrip(".") or "attachment"
    stem, dot, ext = plain.rpartition(".")
    suffix = f".{ext}" if dot and stem and 0 < len(ext.encode("utf-8")) <= 10 else ""
    return capped_name(f"{name}-{stem if suffix else plain}", suffix)


class OutboxMailer:
    name = "outbox"

    def __init__(self, folder: Path, day: str, signer: DkimSigner | None = None):
        self.folder = Path(folder)
        self.signer = signer
        self.day = day
        self.unreadable: list[str] = []  # the .eml files the last index listed as unreadable, each with why

    def __enter__(self) -> OutboxMailer:
        if self.signer is not None:
            self.signer.ready()  # a missing or bad key stops the run (one sentence) before the batch starts
        return self

    def __exit__(self, *exc) -> None:
        self.write_index()

    def send(self, msg: Outgoing) -> None:
        folder, name = self.folder / self.day, _safe_name(msg.key)
        try:
            data = self.signer.sign(msg.data) if self.signer is not None else msg.data
        except DkimError as exc:
            raise PermanentFailure(str(exc)) from None
        atomic_write(folder / f"{name}.eml", data.replace(b"\r\n", b"\n"))
        preview = msg.html
        for a in msg.attachments:  # beside the .eml, to open without a mail program; the .eml holds them too
            beside = _attachment_name(name, a.filename)
            atomic_write(folder / beside, a.data)
            link = f'<p>Attached: <a href="{html.escape(beside)}">{html.escape(a.filename)}</a></p>'
            preview = preview.replace("</body>", link + "</body>") if "</body>" in preview else preview + link
        atomic_write(folder / f"{name}.html", preview)

    def write_index(self) -> None:
        """The outbox's `index.html`: a row per `.eml` file; a file that cannot be read or parsed is a row
        saying so (named by its path), never the end of the index."""
        rows = []
        self.unreadable = []
        for eml in sorted(self.folder.glob("*/*.eml"), reverse=True):
            rel = eml.relative_to(self.folder).as_posix()
            preview = rel[:-4] + ".html"
            try:
                with eml.open("rb") as fh:
                    m = message_from_binary_file(fh, policy=policy.default)
                cells = [str(m["To"]), str(m["Subject"]), str(m["X-Automation-Job"]), str(m["X-Automation-Key"])]
            except Exception as exc:  # noqa: BLE001 - any file, however broken, is one row, not the index's end
                self.unreadable.append(f"{rel}: {type(exc).__name__}")
                rows.append(
                    f"<tr><td>{html.escape(eml.parent.name)}</td><td colspan=\"4\"><em>unreadable: this file "
                    f"cannot be parsed as a message ({html.escape(type(exc).__name__)})</em></td>"
                    f"<td><a href=\"{html.escape(rel)}\">.eml</a></td></tr>")
                continue
            to, subject, job, key = cells
            rows.append(
                f"<tr><td>{html.escape(eml.parent.name)}</td><td>{html.escape(to)}</td>"
                f"<td><a href=\"{html.escape(preview)}\">{html.escape(subject)}</a></td>"
                f"<td>{html.escape(job)}</td>"
                f"<td><code>{html.escape(key)}</code></td>"
                f"<td><a href=\"{html.escape(rel)}\">.eml</a></td></tr>"
            )
        page = (
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Outbox</title>"
            "<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2733}"
            "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #dde3ea;padding:.4rem .6rem;"
            "text-align:left;vertical-align:top;font-size:.9rem}th{background:#f3f6f9}code{font-size:.8rem}</style>"
            "</head><body><h1>Outbox</h1><p>Messages written by the outbox transport, newest day first. "
            "Nothing here has been sent to anyone.</p><table><thead><tr><th>Day</th><th>To</th><th>Subject</th>"
            "<th>Job</th><th>Key</th><th>File</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></body></html>\n"
        )
        if rows:
            atomic_write(self.folder / "index.html", page)
