"""Secrets never leak (issue 11): every command runs with known fake secrets in every environment variable the
configuration names (the Airtable token, the SMTP login, the Discourse key, the privacy key, the DKIM key (a real
one: every message is signed), the Google credentials file's path) and a fake private key and key id in that
credentials file; then no output, log,
outbox message, ledger, report, export, draft or error holds any of them, nor their base64 or URL-encoded forms.

Failures are provoked where it is cheap, so the error paths run too: the SMTP server refuses connections, the
forum refuses the key, Airtable refuses the token.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, quote_plus

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import ROOT, copy_example, wait_for
from tests.fake_airtable import FakeAirtable
from tests.fake_discourse import FakeDiscourse

AS_OF = "2026-11-23"
READER = "conduct-reader@example.org"
SECRETS = {
    "AIRTABLE_TOKEN": "patFAKEairtable0token1SECRET2x",
    "SMTP_USERNAME": "smtp-login-FAKE-9f3k",  # shown in the scheduler's log as no secret, yet never anywhere else
    "SMTP_PASSWORD": "Sm7p-pa55w0rd-FAKE-SECRET+/=",
    "DISCOURSE_API_KEY": "d1sc0urse-api-key-FAKE-SECRET",
    "AUTOMATIONS_PRIVACY_KEY": "privacy-hmac-key-FAKE-SECRET-42",
}
DKIM_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode("ascii")
SECRETS["DKIM_PRIVATE_KEY"] = DKIM_KEY
#: Each line of the DKIM key's body is a secret of its own: a log may show one.
DKIM_LINES = {f"DKIM_PRIVATE_KEY line {n}": line for n, line in enumerate(DKIM_KEY.splitlines()) if "-----" not in line}
PRIVATE_KEY_BODY = "MIIEvFAKEprivateKEYbodyNOTrealSECRET0123456789abcdef"
PRIVATE_KEY_ID = "fakeprivkeyid0123456789abcdefSECRET"
#: Allowed where a run shows the SMTP login name (the scheduler's log: it is often the sender's address).
LOGIN_SHOWN = ("SMTP_USERNAME",)


def forms(secret: str) -> set[str]:
    """The secret and its obvious transforms."""
    raw = secret.encode()
    return {secret, quote(secret, safe=""), quote_plus(secret), base64.b64encode(raw).decode().rstrip("="),
            base64.urlsafe_b64encode(raw).decode().rstrip("="), raw.hex()}


def _env(credentials: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **SECRETS, "GOOGLE_APPLICATION_CREDENTIALS": str(credentials)}


def _program(tmp_path: Path, smtp_port: int, forum_url: str) -> tuple[Path, Path]:
    config = copy_example(tmp_path)
    credentials = tmp_path / "credentials.json"
    example = json.loads((ROOT / "credentials.example.json").read_text(encoding="utf-8"))
    example.update(private_key_id=PRIVATE_KEY_ID, client_id="1234567890",
                   private_key=f"-----BEGIN PRIVATE KEY-----\n{PRIVATE_KEY_BODY}\n-----END PRIVATE KEY-----\n")
    credentials.write_text(json.dumps(example), encoding="utf-8")
    cfg = yaml.safe_load(config.read_text(encoding="utf-8"))
    cfg["mail"]["transport"] = "smtp"
    cfg["mail"]["dkim_selector"] = "amb2026"
    cfg["mail"]["smtp"].update(host="127.0.0.1", port=smtp_port, security="none", max_attempts=1,
                               retry_backoff_seconds=0, timeout_seconds=2, rate_per_second=0)
    cfg["forum"].update(url=forum_url, max_attempts=1, timeout_seconds=5)
    cfg["conduct"]["readers"] = [READER]
    config.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return config, credentials


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once it is closed: connections are refused


def _leaks(text: str, allowed: tuple[str, ...] = ()) -> list[str]:
    found = []
    for name, secret in {**SECRETS, **DKIM_LINES, "private_key": PRIVATE_KEY_BODY,
                         "private_key_id": PRIVATE_KEY_ID}.items():
        if name in allowed:
            continue
        found += [f"{name} as {form!r}" for form in forms(secret) if form in text]
    return found


def _files(folder: Path, credentials: Path, config: Path) -> dict[str, str]:
    """Every file under the program's folder but the two that hold the secrets by design, as text."""
    out = {}
    for p in folder.rglob("*"):
        if p.is_file() and p not in (credentials, config):
            out[str(p.relative_to(folder))] = p.read_bytes().decode("utf-8", "replace")
    return out


def test_no_secret_in_any_output_file_or_error(tmp_path):
    """Every command, with the fake secrets set and failures provoked: no secret in stdout, stderr, the
    scheduler's JSON log, or any file the runs leave (outbox, data, ledger, reports, exports, drafts)."""
    with FakeDiscourse(api_key="the-forum-wants-another-key") as forum:
        config, credentials = _program(tmp_path, _closed_port(), forum.url)
        env = _env(credentials)

        def run(*args: str) -> tuple[str, int, str]:
            proc = subprocess.run([sys.executable, "-m", "automations", "--config", str(config), "--as-of", AS_OF,
                                   *args], capture_output=True, cwd=tmp_path, env=env, timeout=120)
            return " ".join(args), proc.returncode, proc.stdout.decode("utf-8", "replace") + \
                proc.stderr.decode("utf-8", "replace")

        # run-all runs every job's error path (each refused connection costs a timeout); the rest on the outbox
        outputs = [run(*cmd) for cmd in (("run-all",), ("forum",), ("doctor",))]
        cfg = yaml.safe_load(config.read_text(encoding="utf-8"))
        cfg["mail"]["transport"] = "outbox"
        config.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
        outputs += [run(*cmd) for cmd in (
            ("sync-checkins",), ("compliance", "--format", "json"), ("reminders",), ("notices",),
            ("digest",), ("blog-reviews",), ("referrals",), ("funding",), ("certificates",),
            ("init", "--dry-run"), ("report",), ("export", "priya.deshmukh@example.org"),
            ("erase", "priya.deshmukh@example.org", "--dry-run"), ("retention",),
            ("conduct", "list", "--reader", READER))]
        # A run-all on record from days ago: the scheduler catches it up at once, so its log holds a real run.
        old = (datetime.now(UTC) - timedelta(days=3)).isoformat(timespec="seconds")
        (config.parent / "data" / ".schedule.json").write_text(json.dumps({"run-all": {"start": old, "exit_code": 0}}))
        log = tmp_path / "scheduler.log"
        with log.open("wb") as sink:
            proc = subprocess.Popen([sys.executable, "-m", "automations", "--config", str(config), "schedule",
                                     "--log-format", "json"], stdout=sink, stderr=sink, cwd=tmp_path, env=env)
            wait_for(lambda: '"job": "run-all"' in log.read_text(encoding="utf-8", errors="replace")
                     or proc.poll() is not None)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=90)
        schedule_log = log.read_text(encoding="utf-8", errors="replace")
        assert '"job": "run-all"' in schedule_log, schedule_log[-2000:]  # a run was logged, not only start/stop

    codes = {cmd: code for cmd, code, _ in outputs}
    assert codes["run-all"] in (1, 2) and codes["forum"] in (1, 2), codes  # the failures were provoked indeed
    assert all(code in (0, 1, 2) and "Traceback" not in text for _, code, text in outputs), outputs
    leaks = [f"{cmd}: {leak}" for cmd, _, text in outputs for leak in _leaks(text)]
    leaks += [f"schedule log: {leak}" for leak in _leaks(schedule_log, allowed=LOGIN_SHOWN)]
    files = _files(tmp_path, credentials, config)
    assert any(name.startswith("exports/") for name in files) and any("mail_ledger" in name for name in files)
    leaks += [f"{name}: {leak}" for name, text in files.items() for leak in _leaks(text)]
    assert leaks == []


def test_refused_airtable_token_is_not_shown(tmp_path):
    """On Airtable, a token the server refuses: doctor and sync-checkins fail with a sentence naming the
    variable, never the token (nor its transforms)."""
    from tests.airtable_env import BASE, use_airtable

    with FakeAirtable(token="the-real-token-is-another", base_ids=(BASE,)) as fake:
        config, credentials = _program(tmp_path, _closed_port(), "")
        use_airtable(config, fake.url)
        env = _env(credentials)
        texts = []
        for cmd in (("doctor",), ("sync-checkins",), ("init", "--dry-run")):
            proc = subprocess.run([sys.executable, "-m", "automations", "--config", str(config), "--as-of", AS_OF,
                                   *cmd], capture_output=True, cwd=tmp_path, env=env, timeout=120)
            texts.append(proc.stdout.decode("utf-8", "replace") + proc.stderr.decode("utf-8", "replace"))
            assert proc.returncode in (1, 2) and "Traceback" not in texts[-1], texts[-1][-1500:]
    assert any("AIRTABLE_TOKEN" in t for t in texts), texts
    assert [leak for t in texts for leak in _leaks(t)] == []
