"""Verifiable credentials of certificates: signed Open Badges 3.0 credentials beside the PDFs, the published
folder, offline verification, revocation of removed ambassadors, the QR code on the PDF."""

from __future__ import annotations

import base64
import csv
import json
import shutil
import stat
from datetime import date
from pathlib import Path

import pypdfium2
import pytest
import yaml
import zxingcpp
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from joserfc import jws
from joserfc.errors import BadSignatureError
from joserfc.jwk import OKPKey

from automations import bootstrap
from automations.adapters.credentials import verify
from automations.config import load_config
from automations.domain.credentials import STATUS_BITS, bit_set, encode_bits, identity_hash
from automations.jobs import certificates as job
from automations.jobs import credentials as credentials_job
from tests.test_certificates import ZOE, outbox, write_roster

BASE = "https://ambassadors.example.org/verify/"
ZOE_KEY = "certificate_yearly:zoe@example.org:2023-11-25:y3"


def b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def with_base_url(program: Path, base: str = BASE) -> Path:
    data = yaml.safe_load(program.read_text(encoding="utf-8"))
    data["certificates"] = {**(data.get("certificates") or {}), "verify_base_url": base}
    program.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return program


def context(program: Path, day: date, dry_run: bool = False):
    return bootstrap.build(load_config(program), day, dry_run=dry_run)


def issued(program: Path, key: str = ZOE_KEY) -> tuple[bytes, str]:
    """The PDF and the signed credential mailed under `key`."""
    msg = outbox(program)[key]
    pdf, cred = list(msg.iter_attachments())
    return pdf.get_content(), cred.get_content().decode("ascii").strip()


@pytest.fixture
def published(program: Path, tmp_path: Path):
    """Zoë's certificate sent with the base URL set, and the folder published; (program, token, PDF, folder)."""
    with_base_url(program)
    write_roster(program, [ZOE])
    assert job.run(context(program, date(2026, 11, 25))).failures == []
    pdf, token = issued(program)
    folder = tmp_path / "site"
    res = credentials_job.publish(context(program, date(2026, 11, 26)), folder)
    assert res.failures == []
    return program, token, pdf, folder


def test_credential_is_an_open_badge_with_a_hashed_recipient(published):
    program, token, _pdf, _folder = published
    header, payload = (json.loads(b64(p)) for p in token.split(".")[:2])
    assert header == {"alg": "EdDSA", "kid": BASE + "jwk.json#key-1", "typ": "vc+jwt", "cty": "vc"}
    assert payload["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert payload["@context"][1] == "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
    [ident] = payload["credentialSubject"]["identifier"]
    assert ident["identityHash"] == identity_hash("zoe@example.org", ident["salt"]) and ident["hashed"] is True
    assert "zoe" not in json.dumps(payload).lower()  # neither the address nor the name (Zoë) is in it
    assert payload["credentialStatus"]["statusListCredential"] == BASE + "status.jwt"
    # beside the PDF in the outbox, under the message's name
    [beside] = list((program.parent / "outbox").rglob("*.jwt"))
    assert beside.read_text(encoding="ascii").strip() == token


def test_verifies_with_the_jose_library_and_with_cryptography_alone(published):
    """`credentials verify` (joserfc underneath), joserfc's own API on the published JWK, and `cryptography` alone
    on the raw key: all three accept it."""
    _program, token, _pdf, folder = published
    verdict = verify(token, folder)
    assert verdict.valid, verdict.why
    jwk = json.loads((folder / "jwk.json").read_text(encoding="utf-8"))
    with pytest.warns(UserWarning, match="EdDSA"):  # joserfc: RFC 9864 names "Ed25519"; EdDSA is what VCs read today
        checked = jws.deserialize_compact(token, OKPKey.import_key(jwk), algorithms=["EdDSA"])
    assert json.loads(checked.payload)["id"] == json.loads(b64(token.split(".")[1]))["id"]
    assert (jwk["kty"], jwk["crv"]) == ("OKP", "Ed25519") and "d" not in jwk
    key = Ed25519PublicKey.from_public_bytes(b64(jwk["x"]))
    head, body, sig = token.split(".")
    key.verify(b64(sig), f"{head}.{body}".encode("ascii"))  # raises when it does not match


def test_a_changed_byte_fails_both(published):
    _program, token, _pdf, folder = published
    head, body, sig = token.split(".")
    payload = b64(body).replace(b'"validFrom":"2026', b'"validFrom":"2025')
    assert payload != b64(body)
    forged = f"{head}.{base64.urlsafe_b64encode(payload).decode().rstrip('=')}.{sig}"
    verdict = verify(forged, folder)
    assert not verdict.valid and "signature does not match" in verdict.why
    key = Ed25519PublicKey.from_public_bytes(b64(json.loads((folder / "jwk.json").read_text())["x"]))
    with pytest.raises(InvalidSignature):
        key.verify(b64(sig), f"{head}.{forged.split('.')[1]}".encode("ascii"))
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    assert not verify(flipped, folder).valid
    with pytest.raises(BadSignatureError), pytest.warns(UserWarning, match="EdDSA"):
        jws.deserialize_compact(forged, OKPKey.import_key(json.loads((folder / "jwk.json").read_text())),
                                algorithms=["EdDSA"])


def test_a_removed_ambassador_shows_revoked(published, tmp_path):
    program, token, _pdf, folder = published
    index = int(json.loads(b64(token.split(".")[1]))["credentialStatus"]["statusListIndex"])
    status = json.loads(b64((folder / "status.jwt").read_text().split(".")[1]))
    assert not bit_set(status["credentialSubject"]["encodedList"], index)
    write_roster(program, [[*ZOE[:7], "removed"]])
    res = credentials_job.publish(context(program, date(2026, 12, 1)), folder)
    assert res.failures == [] and res.data["revoked"] == [index]
    status = json.loads(b64((folder / "status.jwt").read_text().split(".")[1]))
    assert status["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert bit_set(status["credentialSubject"]["encodedList"], index)  # read independently of the verifier
    verdict = verify(token, folder)
    assert not verdict.valid and verdict.why.startswith("Revoked")


def test_a_revocation_is_permanent(published, cli):
    """Once published revoked, a credential stays revoked: when its holder is erased (the ledger's key rewritten),
    when the ledger entry is gone (retention), and when the holder is marked active again (the summary says so)."""
    program, token, _pdf, folder = published
    index = int(json.loads(b64(token.split(".")[1]))["credentialStatus"]["statusListIndex"])
    write_roster(program, [[*ZOE[:7], "removed"]])
    assert credentials_job.publish(context(program, date(2026, 12, 1)), folder).failures == []
    assert not verify(token, folder).valid
    write_roster(program, [ZOE])  # back in the program
    res = credentials_job.publish(context(program, date(2026, 12, 2)), folder)
    assert res.failures == [] and index in res.data["revoked"] and not verify(token, folder).valid
    assert any("stays revoked: a revocation is permanent" in line for line in res.summary)
    assert cli("erase", "zoe@example.org", config=program).code == 0
    res = credentials_job.publish(context(program, date(2026, 12, 3)), folder)
    assert res.failures == [] and res.data["revoked"] == [index]  # the erased key's own index is another one
    verdict = verify(token, folder)  # the holder's file, checked against the folder published after the erase
    assert not verdict.valid and verdict.why.startswith("Revoked")
    other = program.parent / "elsewhere"  # a new folder: the record in local.dir, not the old folder, keeps it
    assert credentials_job.publish(context(program, date(2026, 12, 4)), other).failures == []
    assert not verify(token, other).valid


def test_a_program_without_its_own_page_templates_publishes_with_the_shipped_ones(published, tmp_path):
    """Templates copied before the verification pages existed (no `credentials/` beside the email templates): the
    pages come from the templates shipped with the code, and the status list is published."""
    program, token, _pdf, _folder = published
    shutil.rmtree(program.parent / "templates" / "credentials")
    site = tmp_path / "site-shipped"
    res = credentials_job.publish(context(program, date(2026, 12, 1)), site)
    assert res.failures == [], res.failures
    cid = json.loads(b64(token.split(".")[1]))["id"].removeprefix("urn:uuid:")
    assert "Valid" in (site / cid / "index.html").read_text(encoding="utf-8") and (site / "status.jwt").is_file()


def test_the_qr_code_decodes_to_the_verification_address(published):
    _program, token, pdf, _folder = published
    cid = json.loads(b64(token.split(".")[1]))["id"]
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=4).to_pil()
    [code] = zxingcpp.read_barcodes(image)
    assert code.format == zxingcpp.BarcodeFormat.QRCode
    assert code.text == BASE + cid.removeprefix("urn:uuid:")


def test_no_qr_code_without_a_base_url(program):
    write_roster(program, [ZOE])
    assert job.run(context(program, date(2026, 11, 25))).failures == []
    pdf, token = issued(program)
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=3).to_pil()
    assert zxingcpp.read_barcodes(image) == []
    assert json.loads(b64(token.split(".")[1]))["id"].startswith("urn:uuid:")


def test_the_key_is_made_once_owner_only_and_kept(published):
    program, token, _pdf, folder = published
    key_file = program.parent / "data" / ".credentials_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    before = key_file.read_bytes()
    credentials_job.publish(context(program, date(2026, 12, 2)), folder)
    assert key_file.read_bytes() == before and verify(token, folder).valid


def test_dry_run_publishes_nothing(published, tmp_path):
    program, _token, _pdf, _folder = published
    elsewhere = tmp_path / "dry"
    res = credentials_job.publish(context(program, date(2026, 12, 1), dry_run=True), elsewhere)
    assert not elsewhere.exists() and res.summary[0].startswith("Dry run: 1 certificate and 0 perk credentials issued")


def test_status_list_bits():
    encoded = encode_bits({0, 9, STATUS_BITS - 1})
    assert [bit_set(encoded, i) for i in (0, 1, 9, STATUS_BITS - 1)] == [True, False, True, True]
    assert encode_bits({5}) == encode_bits({5})  # the same bits, the same bytes


def test_cli_verify_exit_codes(published, cli, tmp_path):
    _program, token, _pdf, folder = published
    good = tmp_path / "good.jwt"
    good.write_text(token, encoding="ascii")
    res = cli("credentials", "verify", str(good), "--published", str(folder))
    assert res.code == 0 and res.out.startswith("Valid:")
    bad = tmp_path / "bad.jwt"
    bad.write_text(token[:-4] + "AAAA", encoding="ascii")
    res = cli("credentials", "verify", str(bad), "--published", str(folder))
    assert res.code == 1 and "not valid" in res.out and len(res.out.strip().splitlines()) == 1
    res = cli("credentials", "verify", str(good), "--published", str(folder), "--email", "ZOE@example.org")
    assert res.code == 0 and "issued to ZOE@example.org" in res.out, res.out
    res = cli("credentials", "verify", str(good), "--published", str(folder), "--email", "eve@example.org")
    assert res.code == 1 and res.out.startswith("Not theirs")
    # Nothing checked (a folder that is not the published one, a file that is not there): 2, not "not valid"
    res = cli("credentials", "verify", str(good), "--published", str(tmp_path / "templates"))
    assert res.code == 2 and "nothing was checked" in res.out and len(res.out.strip().splitlines()) == 1
    res = cli("credentials", "verify", str(tmp_path / "missing.jwt"), "--published", str(folder))
    assert res.code == 2 and "does not exist" in res.err


def test_erase_takes_the_credential_with_the_message(published, cli):
    program, _token, _pdf, _folder = published
    assert list((program.parent / "outbox").rglob("*.jwt"))
    res = cli("erase", "zoe@example.org", config=program)
    assert res.code == 0, res.err
    assert list((program.parent / "outbox").rglob("*.jwt")) == []


def test_published_folder_from_the_cli(published, cli, tmp_path):
    program, token, _pdf, _folder = published
    site = tmp_path / "cli-site"
    res = cli("credentials", "publish", "--to", str(site), config=program)
    assert res.code == 0, res.err
    cid = json.loads(b64(token.split(".")[1]))["id"].removeprefix("urn:uuid:")
    assert sorted(p.name for p in site.iterdir()) == sorted([cid, "index.html", "issuer.json", "jwk.json", "status.jwt"])
    assert [p.name for p in (site / cid).iterdir()] == ["index.html"]  # the page its QR code opens
    assert json.loads((site / "issuer.json").read_text())["id"] == BASE + "issuer.json"
    with (program.parent / "data" / "mail_ledger.csv").open(encoding="utf-8", newline="") as fh:
        assert any(r["Key"] == ZOE_KEY for r in csv.DictReader(fh))


def test_secret_values_hide_the_signing_key(published):
    from automations.bootstrap import secret_values

    program, _token, _pdf, _folder = published
    pem = (program.parent / "data" / ".credentials_key").read_text(encoding="ascii")
    body = [line for line in pem.splitlines() if line and "-----" not in line]
    assert body and set(body) <= set(secret_values(load_config(program), {}))


def test_migrate_carries_the_keys_so_revocation_still_works(published, tmp_path):
    """Into an empty folder: the signing key and the privacy key (which made the status indexes) come along, so
    publishing there revokes the credential a removed ambassador received before the move."""
    from tests.test_migrate import empty_folder_program, migrate_locally

    program, token, _pdf, _folder = published
    write_roster(program, [[*ZOE[:7], "removed"]])
    dest = empty_folder_program(tmp_path, program)
    res = migrate_locally(dest, program)
    assert res.failures == [], res.failures
    store = dest.parent / "store"
    for name in (".credentials_key", ".privacy_key"):
        assert (store / name).read_bytes() == (program.parent / "data" / name).read_bytes()
        assert stat.S_IMODE((store / name).stat().st_mode) == 0o600
    site = tmp_path / "moved-site"
    assert credentials_job.publish(context(dest, date(2026, 12, 1)), site).failures == []
    verdict = verify(token, site)
    assert not verdict.valid and verdict.why.startswith("Revoked")


@pytest.mark.parametrize("token", [
    "not a jws", "a.b", "e30.e30.", base64.urlsafe_b64encode(b"[" * 100000).decode() + ".e30.AA",
    "e30." + "A" * 300_000 + ".AA", "eyJhbGciOiJub25lIn0.e30."])
def test_hostile_files_are_refused_in_one_sentence(published, token):
    _program, _token, _pdf, folder = published
    verdict = verify(token, folder)
    assert not verdict.valid and verdict.why.startswith("The credential is not valid") and "\n" not in verdict.why
