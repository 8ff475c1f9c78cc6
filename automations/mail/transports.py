"""Transports: where a composed message goes. Chosen by name in `mail.transport`.

- `outbox` (the default) writes each message as an `.eml` file, an `.html` preview of its HTML
  part (and each attachment beside them), and an `index.html` listing the outbox, for a person to
  open before anything is sent.
- `smtp` sends through a mail server: STARTTLS or implicit TLS, the login from the environment,
  one connection reused for the whole batch, a rate limit, bounded retries on temporary failures.
  Every failure text it makes passes `redaction.redact` first, with the password, the login's and the
  AUTH PLAIN string's base64 forms besides the installed secrets: a server may echo what it was sent.
- `gmail` sends through the Gmail API (`adapters/gmail_mailer.py`), built by bootstrap.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import os
import re
import smtplib
import ssl
import time
from collections.abc import Mapping
from email import message_from_binary_file, policy
from pathlib import Path

from ..adapters.files.atomic import atomic_write
from ..config import SmtpConfig
from ..domain.values import capped_name
from ..effects import ActionFailed
from ..errors import ConfigError, StopRun
from ..ports.effects import Mailer
from ..redaction import encoded_forms, redact
from .message import Outgoing


class TemporaryFailure(ActionFailed):
    """The message may go through if tried again later."""


class PermanentFailure(ActionFailed):
    """The message will not go through as it is (e.g. the server refuses the address)."""


class ServerUnreachable(TemporaryFailure):
    """No connection to the mail server after the bounded tries: the rest of the batch waits."""

    stops_batch = True


class LoginRefused(StopRun):
    """The mail server refused the login: a credentials problem that stops the run (exit 2)."""


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

    def __init__(self, folder: Path, day: str):
        self.folder = Path(folder)
        self.day = day
        self.unreadable: list[str] = []  # the .eml files the last index listed as unreadable, each with why

    def __enter__(self) -> OutboxMailer:
        return self

    def __exit__(self, *exc) -> None:
        self.write_index()

    def send(self, msg: Outgoing) -> None:
        folder, name = self.folder / self.day, _safe_name(msg.key)
        atomic_write(folder / f"{name}.eml", msg.data.replace(b"\r\n", b"\n"))
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


class SmtpMailer:
    name = "smtp"

    def __init__(self, cfg: SmtpConfig, environ: Mapping[str, str], envelope_from: str, reuse: bool = True,
                 sleep=time.sleep):
        self.cfg = cfg
        self.username = environ.get(cfg.username_env, "")
        self.password = environ.get(cfg.password_env, "")
        if self.username and not self.password:
            raise ConfigError(f"{cfg.username_env} is set but {cfg.password_env} is not: set both, or neither.")
        # What AUTH sends (PLAIN: base64 of NUL login NUL password; LOGIN: each base64): never in a failure text.
        self._hidden = encoded_forms(self.password, f"\0{self.username}\0{self.password}",
                                     f"{self.username}\0{self.password}") + encoded_forms(self.username)[1:] \
            if self.username else []
        self.envelope_from = envelope_from
        self.reuse = reuse
        self.sleep = sleep
        self.conn: smtplib.SMTP | None = None
        self._context: ssl.SSLContext | None = None
        self._last = 0.0
        self.connections = 0

    def __enter__(self) -> SmtpMailer:
        return self

    def __exit__(self, *exc) -> None:
        self._close()

    def _tls(self) -> ssl.SSLContext:
        if self._context is None:
            self._context = ssl.create_default_context(cafile=self.cfg.ca_file or None)
        return self._context

    def _connect(self) -> smtplib.SMTP:
        cfg = self.cfg
        try:
            conn: smtplib.SMTP
            if cfg.security == "ssl":
                conn = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout_seconds, context=self._tls())
            else:
                conn = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds)
                if cfg.security == "starttls":
                    conn.starttls(context=self._tls())
                    conn.ehlo()
            if self.username:
                conn.login(self.username, self.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise LoginRefused(self._said(
                f"The SMTP server {cfg.host}:{cfg.port} refused the login in {cfg.username_env} "
                f"({exc.smtp_code} {self._reply(exc)}): check the credentials; nothing more was sent.")) from None
        except (OSError, smtplib.SMTPException) as exc:
            why = f"{exc.smtp_code} {self._reply(exc)}" if isinstance(exc, smtplib.SMTPResponseException) else exc
            raise ServerUnreachable(self._said(
                f"cannot connect to {cfg.host}:{cfg.port}: {type(exc).__name__}: {why}")) from None
        self.connections += 1
        return conn

    def _said(self, text: str) -> str:
        """A failure text without the login's secrets (`redaction`), whatever the server echoed into it."""
        return redact(text, also=self._hidden)

    def _reply(self, exc: smtplib.SMTPResponseException) -> str:
        """The server's text of a reply, redacted before it is cut to 200 characters (no half secret left)."""
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return self._said(" ".join(self._said(text).split()))[:200]  # a line break may split a secret

    def _close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.conn.quit()
            self.conn = None

    def _pace(self) -> None:
        if self.cfg.rate_per_second > 0:
            gap = 1.0 / self.cfg.rate_per_second
            wait = self._last + gap - time.monotonic()
            if wait > 0:
                self.sleep(wait)
        self._last = time.monotonic()

    def send(self, msg: Outgoing) -> None:
        error = ""
        for attempt in range(1, self.cfg.max_attempts + 1):
            if attempt > 1:
                self.sleep(self.cfg.retry_backoff_seconds * (2 ** (attempt - 2)))
            try:
                if self.conn is None:
                    self.conn = self._connect()
                self._pace()
                self.conn.sendmail(self.envelope_from, [msg.to_addr], msg.data)
                if not self.reuse:
                    self._close()
                return
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                error = f"recipient refused ({', '.join(map(str, codes))})"
                if not all(400 <= c < 500 for c in codes):
                    raise PermanentFailure(error) from None
            except smtplib.SMTPResponseException as exc:
                error = f"server replied {exc.smtp_code} {self._reply(exc)}"
                if not 400 <= exc.smtp_code < 500:
                    raise PermanentFailure(error) from None
                self._close()
            except (TimeoutError, smtplib.SMTPServerDisconnected, OSError) as exc:
                error = f"connection lost: {type(exc).__name__}"
                self.conn = None
            except ServerUnreachable as exc:
                error = str(exc)
                if attempt == self.cfg.max_attempts:
                    raise ServerUnreachable(self._said(f"{error} (after {attempt} attempts)")) from None
        raise TemporaryFailure(self._said(f"{error} (after {self.cfg.max_attempts} attempts)"))


def build_mailer(transport: str, outbox_dir: Path, day: str, smtp: SmtpConfig, envelope_from: str,
                 environ: Mapping[str, str] | None = None) -> Mailer:
    if transport == "outbox":
        return OutboxMailer(outbox_dir, day)
    if transport == "smtp":
        return SmtpMailer(smtp, os.environ if environ is None else environ, envelope_from)
    raise ConfigError("mail.transport 'gmail' is not available in this version yet: use outbox or smtp.")
