"""The `smtp` transport: sends through a mail server, STARTTLS or implicit TLS, the login given by bootstrap from
the environment, one connection reused for the whole batch, a rate limit, bounded retries on temporary
failures. Every failure text it makes passes `redaction.redact` first, with the password, the login's and the
AUTH PLAIN string's base64 forms besides the installed secrets: a server may echo what it was sent. With a DKIM
signer (`mail.dkim_selector`), each message is signed once, just before it goes, and every try sends those same
bytes."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import time
from collections.abc import Mapping

from ..config import SmtpConfig
from ..errors import ConfigError
from ..mail.dkim import DkimError, DkimSigner
from ..mail.failures import LoginRefused, PermanentFailure, ServerUnreachable, TemporaryFailure
from ..mail.message import Outgoing
from ..redaction import encoded_forms, redact


class SmtpMailer:
    name = "smtp"

    def __init__(self, cfg: SmtpConfig, environ: Mapping[str, str], envelope_from: str, reuse: bool = True,
                 sleep=time.sleep, signer: DkimSigner | None = None):
        self.cfg = cfg
        self.signer = signer
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
        if self.signer is not None:
            self.signer.ready()  # a missing or bad key stops the run (one sentence) before the batch starts
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
        try:
            data = self.signer.sign(msg.data) if self.signer is not None else msg.data
        except DkimError as exc:
            raise PermanentFailure(str(exc)) from None
        error = ""
        for attempt in range(1, self.cfg.max_attempts + 1):
            if attempt > 1:
                self.sleep(self.cfg.retry_backoff_seconds * (2 ** (attempt - 2)))
            try:
                if self.conn is None:
                    self.conn = self._connect()
                self._pace()
                self.conn.sendmail(self.envelope_from, [msg.to_addr], data)
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
