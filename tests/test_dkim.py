"""DKIM signing (issue 21): the program's messages, sent by the real SMTP transport to the aiosmtpd server on
loopback, verify with dkimpy against the TXT record `doctor` tells staff to publish; a changed byte does not; a
missing or bad key is one sentence naming its variable, and the key never reaches an error or a log."""

from __future__ import annotations

import contextlib
import re
from datetime import date
from email import message_from_bytes, policy
from pathlib import Path

import dkim
import pytest
import yaml
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from automations import bootstrap, redaction
from automations.cli import cli as command
from automations.errors import ConfigError, StopRun
from automations.jobs import doctor, mail_jobs, sync_checkins
from automations.mail.dkim import SIGNED, DkimSigner
from tests.conftest import copy_example, outbox_messages, use_smtp

AS_OF = date(2026, 10, 19)  # two days before the 2026Q3 window closes: reminders, receipts, a digest
SELECTOR, DOMAIN = "amb2026", "example.org"  # the example's from_address is ambassadors@example.org


def pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


@pytest.fixture(scope="module")
def key_pem() -> str:
    return pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))


def pieces(text: str) -> list[str]:
    """Every run of 16 characters of a PEM key's body: none may appear in an error text or a log."""
    body = "".join(line for line in text.splitlines() if "-----" not in line)
    return [body[i:i + 16] for i in range(0, len(body) - 15, 8)]


def configure(config: Path, **mail) -> None:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["mail"].update(mail)
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def published(config: Path, env: dict[str, str]) -> tuple[str, bytes]:
    """The record `doctor` prints for staff to publish: its name and its TXT value (the quoted pieces joined)."""
    lines: list[str] = []
    with contextlib.suppress(StopRun):  # the example's go-live placeholders are FAIL lines of their own
        doctor.run(bootstrap.for_doctor(config, AS_OF, environ=env), echo=lambda line, err: lines.append(line))
    line = next(x for x in lines if x.startswith("ok   DKIM:"))
    name, quoted = re.search(r"publish this TXT record in DNS \(docs/mail\.md#dkim-signing\): (\S+)\. IN TXT (.+)$",
                             line).groups()
    return name, "".join(re.findall(r'"([^"]*)"', quoted)).encode("ascii")


def dns_for(name: str, value: bytes):
    """dkimpy's DNS lookup, answered with the published record and nothing else."""
    def lookup(qname: bytes, timeout: int = 5) -> bytes | None:
        return value if qname.decode("ascii").rstrip(".") == name else None
    return lookup


@pytest.fixture
def program(tmp_path, smtp_server, key_pem) -> tuple[Path, dict[str, str]]:
    config = copy_example(tmp_path)
    use_smtp(config, smtp_server)
    configure(config, dkim_selector=SELECTOR)
    return config, {"DKIM_PRIVATE_KEY": key_pem}


def send_day(config: Path, env: dict[str, str]) -> None:
    cfg = bootstrap.load_config(config, env)
    sync = sync_checkins.run(bootstrap.build(cfg, AS_OF, dry_run=False, environ=env))
    ctx = bootstrap.build(cfg, AS_OF, dry_run=False, environ=env)
    for job in mail_jobs.JOBS:
        res = mail_jobs.run(ctx, job, synced=sync.data, problems=sync.data["problems"])
        assert res.failures == [], res.failures


class TestSignedOverSmtp:
    def test_every_message_verifies_against_the_record_doctor_prints(self, program, smtp_server):
        """Each message the day's jobs send through the SMTP transport carries one relaxed/relaxed signature by
        the From domain that dkimpy verifies with the TXT record doctor says to publish."""
        config, env = program
        name, value = published(config, env)
        assert name == f"{SELECTOR}._domainkey.{DOMAIN}" and value.startswith(b"v=DKIM1; k=rsa; p=MIIB")
        send_day(config, env)
        assert len(smtp_server.received) >= 5
        for r in smtp_server.received:
            assert dkim.verify(r.data, dnsfunc=dns_for(name, value)), r.message["X-Automation-Key"]
            tags = dict(t.strip().split("=", 1) for t in re.sub(r"\s+", "", str(r.message["DKIM-Signature"]))
                        .split(";") if t)
            assert (tags["a"], tags["c"], tags["d"], tags["s"]) == ("rsa-sha256", "relaxed/relaxed", DOMAIN, SELECTOR)
            signed = set(tags["h"].split(":"))
            present = {h.lower() for h in r.message} - {"dkim-signature"}
            assert {"from", "to", "subject", "date", "message-id", "reply-to", "mime-version", "content-type",
                    "x-automation-job", "x-automation-key"} <= signed == present & {h.lower() for h in SIGNED}

    def test_a_changed_byte_fails_verification(self, program, smtp_server):
        """One byte changed in the body, or in a signed header, and the signature no longer verifies; a header
        added on the way (Received) leaves it valid."""
        config, env = program
        name, value = published(config, env)
        send_day(config, env)
        data = smtp_server.received[0].data
        lookup = dns_for(name, value)
        assert dkim.verify(b"Received: from relay.example.org by mx.example.net; Mon, 19 Oct 2026 09:00:00 +0000\r\n"
                           + data, dnsfunc=lookup)
        head, body = data.split(b"\r\n\r\n", 1)
        i = body.index(b"Hi ") + 3
        changed_body = head + b"\r\n\r\n" + body[:i] + bytes([body[i] ^ 1]) + body[i + 1:]
        key = re.search(rb"X-Automation-Key: ([^\r]+)", head).group(1)
        changed_header = data.replace(b"X-Automation-Key: " + key, b"X-Automation-Key: " + key[:-1] + b"X", 1)
        for changed in (changed_body, changed_header):
            assert changed != data and not dkim.verify(changed, dnsfunc=lookup)

    def test_the_outbox_signs_too_so_staff_can_check_before_going_live(self, tmp_path, key_pem):
        """With the outbox transport the .eml files carry the same signature, and verify as they lie on disk."""
        config = copy_example(tmp_path)
        configure(config, dkim_selector=SELECTOR, dkim_domain="mail.example.org")
        env = {"DKIM_PRIVATE_KEY": key_pem.replace("\n", "\\n")}  # kept on one line, as some secret stores do
        name, value = published(config, env)
        assert name == f"{SELECTOR}._domainkey.mail.example.org"
        send_day(config, env)
        files = sorted((tmp_path / "outbox").rglob("*.eml"))
        assert files and all(dkim.verify(f.read_bytes(), dnsfunc=dns_for(name, value)) for f in files)
        assert all(m["DKIM-Signature"] for m in outbox_messages(tmp_path / "outbox"))

    def test_without_a_selector_nothing_is_signed(self, tmp_path, smtp_server, key_pem):
        config = copy_example(tmp_path)
        use_smtp(config, smtp_server)
        send_day(config, {"DKIM_PRIVATE_KEY": key_pem})
        assert smtp_server.received and not any(r.message["DKIM-Signature"] for r in smtp_server.received)


BAD_KEYS = {
    "empty": "",
    "not a key": "-----BEGIN PRIVATE KEY-----\nthis is not base64 at all, just words\n-----END PRIVATE KEY-----\n",
    "cut short": None,  # a real RSA key with its last lines lost (filled in below)
    "ed25519": None,
}


def bad_key(kind: str, key_pem: str) -> str:
    if kind == "cut short":
        lines = key_pem.splitlines()
        return "\n".join(lines[:len(lines) // 2] + [lines[-1]]) + "\n"
    if kind == "ed25519":
        return pem(ed25519.Ed25519PrivateKey.generate())
    return BAD_KEYS[kind] or ""


class TestBadKey:
    @pytest.mark.parametrize("kind", list(BAD_KEYS))
    def test_one_sentence_naming_the_variable_and_nothing_of_the_key(self, kind, key_pem):
        secret = bad_key(kind, key_pem)
        signer = DkimSigner(SELECTOR, DOMAIN, secret, "DKIM_PRIVATE_KEY")
        with pytest.raises(ConfigError) as caught:
            signer.sign(b"From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n\r\nhi\r\n")
        text = str(caught.value)
        assert "DKIM_PRIVATE_KEY" in text and "\n" not in text and text.endswith(".")
        assert not any(p in text for p in pieces(secret)), text

    def test_doctor_fails_and_a_run_stops_before_anything_is_sent(self, program, smtp_server, key_pem):
        """doctor's FAIL line and the run's exit 2 name the variable; neither shows the key; nothing is sent."""
        config, _ = program
        secret = bad_key("cut short", key_pem)
        env = {"DKIM_PRIVATE_KEY": secret}
        lines: list[tuple[str, bool]] = []
        with pytest.raises(StopRun):
            doctor.run(bootstrap.for_doctor(config, AS_OF, environ=env),
                       echo=lambda line, err: lines.append((line, err)))
        failed = [line for line, err in lines if err and "DKIM_PRIVATE_KEY" in line]
        assert len(failed) == 1 and failed[0].startswith("FAIL ")
        res = CliRunner().invoke(command, ["--config", str(config), "--as-of", AS_OF.isoformat(), "run-all"],
                                 env=env, catch_exceptions=False)
        assert res.exit_code == 2, (res.stdout, res.stderr)
        assert "DKIM_PRIVATE_KEY" in res.stderr
        everything = res.stdout + res.stderr + "".join(line for line, _ in lines)
        assert not any(p in everything for p in pieces(secret))
        assert smtp_server.received == []

    def test_the_key_is_redacted_from_every_log_line(self, tmp_path, key_pem):
        """Once the configuration is loaded, any text that would show the key (whole, one line, or one line of
        its body, as a traceback might) passes redaction without it."""
        config = copy_example(tmp_path)
        configure(config, dkim_selector=SELECTOR)
        bootstrap.load_config(config, {"DKIM_PRIVATE_KEY": key_pem})
        body_line = key_pem.splitlines()[3]
        for text in (f"failed: {key_pem}", f"repr: {key_pem!r}", f"line: {body_line}"):
            assert not any(p in redaction.redact(text) for p in pieces(key_pem)), text


def test_doctor_prints_the_record_whole_through_the_command_line(tmp_path):
    """`doctor` as staff run it (its output redacted of every secret): the TXT value printed is the public key's,
    whole, for a PKCS#1 key too (whose modulus lines are the public key's, byte for byte, and so no secret)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pkcs1 = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                              serialization.NoEncryption()).decode("ascii")
    config = copy_example(tmp_path)
    configure(config, dkim_selector=SELECTOR)
    res = CliRunner().invoke(command, ["--config", str(config), "--as-of", AS_OF.isoformat(), "doctor"],
                             env={"DKIM_PRIVATE_KEY": pkcs1}, catch_exceptions=False)
    (line,) = [x for x in res.stdout.splitlines() if x.startswith("ok   DKIM:")]
    printed = "".join(re.findall(r'"([^"]*)"', line.split(" IN TXT ", 1)[1]))
    assert printed == DkimSigner(SELECTOR, DOMAIN, pkcs1, "K").txt_value() and "[redacted]" not in line
    private = [x for x in pieces(pkcs1) if x not in printed]  # what of the key is not the public key's
    assert private and not any(x in res.stdout + res.stderr for x in private)


def test_doctor_warns_when_the_signing_domain_is_not_the_senders(tmp_path, key_pem):
    """A signature by another domain than From's: a warning (DMARC would not count it), not a stop."""
    config = copy_example(tmp_path)
    configure(config, dkim_selector=SELECTOR, dkim_domain="elsewhere.example")
    lines: list[tuple[str, bool]] = []
    with contextlib.suppress(StopRun):
        doctor.run(bootstrap.for_doctor(config, AS_OF, environ={"DKIM_PRIVATE_KEY": key_pem}),
                   echo=lambda line, err: lines.append((line, err)))
    warned = [line for line, err in lines if err and line.startswith("warn DKIM:")]
    assert len(warned) == 1 and "example.org" in warned[0] and "elsewhere.example" in warned[0]
    configure(config, dkim_domain="")  # empty: From's domain, no warning
    lines.clear()
    with contextlib.suppress(StopRun):
        doctor.run(bootstrap.for_doctor(config, AS_OF, environ={"DKIM_PRIVATE_KEY": key_pem}),
                   echo=lambda line, err: lines.append((line, err)))
    assert not [line for line, _ in lines if line.startswith("warn DKIM:")]
    assert [line for line, _ in lines if line.startswith("ok   DKIM:")]


def test_a_selector_that_is_not_a_dns_name_is_refused(tmp_path):
    config = copy_example(tmp_path)
    configure(config, dkim_selector="sel\r\nBcc: x@evil.example")
    with pytest.raises(ConfigError) as caught:
        bootstrap.load_config(config, {})
    assert "dkim_selector" in str(caught.value)


def test_a_message_signed_once_is_what_is_sent(key_pem):
    """The signature goes on top of the composed bytes, which follow it unchanged."""
    data = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\nX-Automation-Key: k:1\r\n\r\nhi\r\n"
    signed = DkimSigner(SELECTOR, DOMAIN, key_pem, "DKIM_PRIVATE_KEY").sign(data)
    assert signed.startswith(b"DKIM-Signature: ") and signed.endswith(b"\r\n" + data)
    assert message_from_bytes(signed, policy=policy.default)["X-Automation-Key"] == "k:1"
